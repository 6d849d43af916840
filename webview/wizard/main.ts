// The NVMX wizard's webview entry (see the nested-virtualization issue).
document.body.dataset.acrnNest = "wizard";
