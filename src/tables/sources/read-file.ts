import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { DataSourceError } from '../../errors.js';
import { formatBytes } from './limits.js';

/** What a path is, in words, for refusing anything but a regular file. */
function kind(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe), which could block forever';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links (a loop?)',
  ENOTDIR: 'a part of the path is not a directory',
  ENAMETOOLONG: 'the path is too long',
  EISDIR: 'it is a directory',
};

/** An fs error as a sentence naming the resolved path. */
export function fileError(where: string, file: string, cause: unknown, field = 'access'): DataSourceError {
  const code = (cause as NodeJS.ErrnoException).code ?? '';
  const reason = REASONS[code] ?? (cause as Error).message;
  return new DataSourceError(`${where}: cannot read ${file} (${code ? `${code}: ` : ''}${reason}).`, { source: where, field, cause });
}

/**
 * Opens a regular file for reading, refusing what {@link readRegularFile} refuses; the caller
 * closes the handle.
 */
export async function openRegularFile(where: string, file: string, maxBytes: number, field = 'access'): Promise<{ handle: FileHandle; info: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw fileError(where, file, cause, field);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new DataSourceError(`${where}: ${file} is ${kind(info)}; a file is needed here.`, { source: where, field });
    if (info.size > maxBytes) {
      throw new DataSourceError(`${where}: ${file} is ${formatBytes(info.size)}, more than the ${formatBytes(maxBytes)} a source may be (raise "max_bytes" in the manifest entry, or --max-bytes).`, { source: where, field });
    }
    return { handle, info };
  } catch (cause) {
    await handle.close();
    if (cause instanceof DataSourceError) throw cause;
    throw fileError(where, file, cause, field);
  }
}

/**
 * Reads a whole regular file, refusing directories, FIFOs, devices and sockets (also behind a
 * symbolic link) and anything over `maxBytes`, before reading a byte. The file is opened without
 * blocking and checked on the open descriptor, so it cannot be swapped for a FIFO in between.
 */
export async function readRegularFile(where: string, file: string, maxBytes: number, field = 'access'): Promise<Buffer> {
  const { handle, info } = await openRegularFile(where, file, maxBytes, field);
  try {
    const out = Buffer.allocUnsafe(info.size);
    let filled = 0;
    while (filled < out.length) {
      const { bytesRead } = await handle.read(out, filled, out.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === out.length ? out : out.subarray(0, filled);
  } catch (cause) {
    if (cause instanceof DataSourceError) throw cause;
    throw fileError(where, file, cause, field);
  } finally {
    await handle.close();
  }
}

/** Checks that a path is a directory (the `file/csv` source), naming the resolved path when not. */
export async function requireDirectory(where: string, dir: string, field = 'access'): Promise<void> {
  let info: Stats;
  try {
    info = await stat(dir);
  } catch (cause) {
    throw fileError(where, dir, cause, field);
  }
  if (!info.isDirectory()) throw new DataSourceError(`${where}: ${dir} is ${info.isFile() ? 'a file' : kind(info)}; a directory holding sessions.csv, stimulations.csv and spikes.csv is needed.`, { source: where, field });
}

/** A path of a manifest entry, resolved against the base directory (the manifest's folder). */
export function resolvePath(value: unknown, baseDir: string): string {
  const text = String(value);
  return path.isAbsolute(text) ? text : path.resolve(baseDir, text);
}
