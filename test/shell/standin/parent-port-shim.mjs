// Loaded into a stand-in utility process (utility-process.mjs): `process.parentPort` as Electron
// gives it to a utility process, on top of the fork's IPC channel, which the child must not use
// directly (process.send is hidden), and ended with its parent as Electron ends it.
const send = process.send.bind(process);
const listeners = [];
process.on('message', (m) => {
  for (const l of listeners) l({ data: m, ports: [] });
});
process.on('disconnect', () => process.exit(0));
process.parentPort = {
  postMessage: (m) => send(m),
  on(event, listener) {
    if (event === 'message') listeners.push(listener);
    return this;
  },
};
process.send = undefined;
