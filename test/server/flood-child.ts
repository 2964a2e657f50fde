/**
 * Two clients in a process of their own (as other programs would be), for the fairness test in
 * test/server/flow-control.test.ts: one sends 5,000 patients.search requests in one burst (one
 * corked write), the other sends one probe search right after it. Both read every answer.
 * argv: port token floodUser floodPassword probeUser probePassword. Prints 'done N' at the end.
 */
import type { Socket } from 'node:net';
import { WireClient } from '../support/wire-client.js';

const [port, token, floodUser, floodPassword, probeUser, probePassword] = process.argv.slice(2);
const flood = await WireClient.open(Number(port), token!);
const prober = await WireClient.open(Number(port), token!);
if (!(await flood.call('auth.signIn', { username: floodUser, password: floodPassword })).ok) throw new Error('sign-in');
if (!(await prober.call('auth.signIn', { username: probeUser, password: probePassword })).ok)
  throw new Error('sign-in');
const socket = (flood.ws as unknown as { _socket: Socket })._socket;
socket.cork();
const all = Array.from({ length: 5000 }, () => flood.call('patients.search', { query: 'flow' }));
socket.uncork();
const probe = prober.call('patients.search', { query: 'ada' });
const results = [...(await Promise.all(all)), await probe];
process.stdout.write(`done ${results.filter((x) => x.ok).length}\n`);
flood.close();
prober.close();
