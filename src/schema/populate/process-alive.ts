/**
 * Whether a process of this machine is running: EPERM means it exists but belongs to another user.
 * SQLite's jobs tables judge reservations by it, their workers all being on this machine.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
