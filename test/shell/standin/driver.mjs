// Plays the page and the user against the real main process (see electron.mjs): once the window
// has loaded, it fetches from app://, calls the API over the IPC handler as our page and as a
// stranger, tries to navigate away / open windows / get permissions, then closes the window.
globalThis.__standinLoaded = async (win) => {
  const report = globalThis.__electronStandin;
  const d = (report.driver = {});
  try {
    const index = await globalThis.__standinProtocol(new Request('app://auscult/index.html'));
    d.index = { status: index.status, csp: index.headers.get('content-security-policy') };
    const escape = await globalThis.__standinProtocol(new Request('app://auscult/..%2f..%2fpackage.json'));
    d.escapeStatus = escape.status;

    const ours = { sender: { id: win.webContents.id }, senderFrame: { url: 'app://auscult/index.html', parent: null } };
    const stranger = { sender: { id: 999 }, senderFrame: { url: 'app://auscult/index.html', parent: null } };
    const signIn = {
      method: 'auth.signIn',
      params: { username: process.env.STANDIN_USER, password: process.env.STANDIN_PASSWORD },
    };
    d.strangerSignIn = await globalThis.__standinIpc(stranger, signIn);
    d.signIn = await globalThis.__standinIpc(ours, signIn);
    d.whoami = await globalThis.__standinIpc(ours, { method: 'auth.whoami', params: {} });
    d.bogus = await globalThis.__standinIpc(ours, { method: 'shell.exec', params: {} });

    let prevented = false;
    const nav = { url: 'https://evil.example/', preventDefault: () => (prevented = true) };
    win.webContents.emit('will-navigate', nav, nav.url);
    d.navigationPrevented = prevented;
    d.windowOpen = win.webContents.windowOpenHandler?.({ url: 'https://evil.example/' });
    d.permission = await new Promise((r) => globalThis.__standinPermRequest(win.webContents, 'media', r, {}));
    d.permissionCheck = globalThis.__standinPermCheck(win.webContents, 'media', 'app://auscult', {});
    d.remoteRequest = await new Promise((r) =>
      globalThis.__standinRequestFilter({ url: 'https://cdn.example/x.js' }, r),
    );
    d.appRequest = await new Promise((r) => globalThis.__standinRequestFilter({ url: 'app://auscult/assets/x.js' }, r));
  } catch (err) {
    d.error = String((err && err.stack) || err);
  }
  // The user closes the window: the main process must turn that into a graceful quit.
  let closePrevented = false;
  win.emit('close', { preventDefault: () => (closePrevented = true) });
  d.firstClosePrevented = closePrevented;
};
