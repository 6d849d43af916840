/**
 * Typed messages between the extension host and the webviews. Shared by both ends; the only
 * thing the webview imports from outside webview/.
 */
export interface RequestMessage<M extends string, P> {
  kind: 'request';
  id: number;
  method: M;
  params: P;
}
