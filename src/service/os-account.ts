/**
 * The operating-system account running this process, for audit entries of local commands. A
 * container may have no passwd entry for its uid: then it is said as 'unknown', never an error.
 */
import { userInfo } from 'node:os';

export function osAccountName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
