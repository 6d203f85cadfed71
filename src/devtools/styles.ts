export const devtoolsCss = `
:host { all: initial; }
.toggle { position: fixed; z-index: 2147483646; padding: 6px 10px; border-radius: 16px; border: 1px solid #555; background: #1e1e24; color: #eee; font: 12px system-ui, sans-serif; cursor: pointer; }
.panel { position: fixed; z-index: 2147483647; left: 0; right: 0; height: 45vh; background: #1e1e24; color: #ddd; font: 12px ui-monospace, monospace; display: flex; flex-direction: column; border-top: 1px solid #555; }
.top { bottom: auto; top: 0; } .bottom { bottom: 0; }
.left { left: 12px; } .right { right: 12px; }
.toggle.bottom { bottom: 12px; } .toggle.top { top: 12px; }
nav { display: flex; gap: 4px; padding: 4px; border-bottom: 1px solid #444; }
nav button, .actions button { background: #2c2c34; color: #ddd; border: 1px solid #555; border-radius: 4px; padding: 2px 8px; cursor: pointer; font: inherit; }
nav button[aria-selected="true"] { background: #3d5afe; color: white; }
.body { overflow: auto; padding: 6px; flex: 1; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: 1px 6px; border-bottom: 1px solid #333; vertical-align: top; }
.error { color: #ff8a80; } .muted { color: #888; } .live { color: #69f0ae; } .reconnecting, .closed { color: #ffd740; }
pre { margin: 0; white-space: pre-wrap; }
section { margin-bottom: 10px; }
h3 { margin: 4px 0; font-size: 12px; }
`
