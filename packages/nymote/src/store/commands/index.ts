// The `nymote store` verbs, in the order --help lists them.
import type { Command } from '../../command.js';
import type { StoreContext } from '../context.js';
import { branch } from './branch.js';
import { clone } from './clone.js';
import { fetch } from './fetch.js';
import { fsck } from './fsck.js';
import { gc } from './gc.js';
import { get } from './get.js';
import { importCommand } from './import.js';
import { init } from './init.js';
import { list } from './list.js';
import { log } from './log.js';
import { merge } from './merge.js';
import { pull } from './pull.js';
import { push } from './push.js';
import { remote } from './remote.js';
import { revert } from './revert.js';
import { rm } from './rm.js';
import { serve } from './serve.js';
import { set } from './set.js';
import { tree } from './tree.js';
import { watch } from './watch.js';

export const storeCommands: readonly Command<StoreContext>[] = [
  init, set, get, rm, list, tree, log, branch, merge, revert, importCommand, watch, clone, remote, fetch, pull, push, serve, gc, fsck,
];
