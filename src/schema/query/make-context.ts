import { AsyncLocalStorage } from 'node:async_hooks';
import type { TableInfo } from '../declare/table-info.js';

/** The tables a running make() may insert into: its own and its parts. */
export const makeContext = new AsyncLocalStorage<ReadonlySet<TableInfo>>();
