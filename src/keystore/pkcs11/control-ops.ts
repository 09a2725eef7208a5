/**
 * The token calls other than signatures, run on the control thread (control-thread.ts) so that
 * an HSM that hangs in C_OpenSession, C_Login or C_FindObjects holds up that thread, not the
 * event loop. Everything here is addressed by handle: sessions, the login and object handles
 * belong to the process, not to the thread that made them. graphene's objects are made only
 * here, since its Slot and Session constructors call the token (C_GetSlotInfo, C_GetSessionInfo).
 *
 * This module loads the PKCS#11 library a second time, as the signing threads do: `dlopen`
 * returns the library the main thread loaded. C_Initialize is the process's, and is made here
 * (`initialize`, once per process, and `reinitialize`) so that a library that hangs in it holds
 * up this thread, not the event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as graphene from 'graphene-pk11';
import { hsmUnavailable } from '../../errors';
import type { KeyAlgorithm } from '../keystore';
import { type KeyAttributes, readKeyAttributes } from './key-attributes';
import { findKey, type KeyRef } from './key-lookup';
import { probeMechanisms } from './mechanisms';
import { CKF_OS_LOCKING_OK } from './module';
import { generateKeyPairInToken } from './keygen';
import { readPublicKey } from './public-key';
import { revive, toWire } from './wire';

const RW_SESSION = graphene.SessionFlag.RW_SESSION | graphene.SessionFlag.SERIAL_SESSION;

/** A key pair as the main thread keeps it: object handles, never graphene objects. */
export interface KeyHandles {
  privateKey: Buffer;
  publicKey: Buffer;
  keyAlgorithm: KeyAlgorithm;
  spki: Buffer;
  uri: string;
}

let loaded: graphene.Module | undefined;
const library = (): graphene.Module => (loaded ??= graphene.Module.load(workerData.module));
const slotOf = (handle: Buffer): graphene.Slot => new graphene.Slot(handle, library(), library().lib);
const sessionOf = (handle: Buffer, slot: Buffer): graphene.Session =>
  new graphene.Session(handle, slotOf(slot), library().lib);

function handlesOf(key: ReturnType<typeof findKey>): KeyHandles {
  return {
    privateKey: key.privateKey.handle, publicKey: key.publicKey.handle,
    keyAlgorithm: key.keyAlgorithm, spki: key.spki, uri: key.uri,
  };
}

export const OPS = {
  /** The process's first C_Initialize (graphene counts CKR_CRYPTOKI_ALREADY_INITIALIZED as done). */
  initialize(): void {
    library().initialize({ flags: CKF_OS_LOCKING_OK });
  },

  /** C_Finalize + C_Initialize: for a library that lost its state, or a token that came back. */
  reinitialize(): void {
    try {
      library().finalize();
    } catch {
      // Already finalized from the library's point of view; initializing is what matters.
    }
    library().initialize({ flags: CKF_OS_LOCKING_OK });
  },

  /** The slot holding the token labelled `label`; HsmUnavailable if no such token is present. */
  findSlot(label: string): Buffer {
    const slots = library().getSlots(true);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots.items(i);
      if (slot.getToken().label === label) return slot.handle;
    }
    throw hsmUnavailable(undefined, `no PKCS#11 token labelled "${label}"`);
  },

  /** What the token offers: its mechanism types, and its limit on read/write sessions. */
  slotInfo(slot: Buffer): { mechanisms: number[]; maxRwSessionCount: number } {
    const s = slotOf(slot);
    return { mechanisms: [...probeMechanisms(s)], maxRwSessionCount: s.getToken().maxRwSessionCount };
  },

  openSession(slot: Buffer): Buffer {
    return slotOf(slot).open(RW_SESSION).handle;
  },

  closeSession(session: Buffer): void {
    library().lib.C_CloseSession(session);
  },

  /** One C_Login as user; the caller decides what an error means and whether to try again. */
  login(session: Buffer, pin: string): void {
    library().lib.C_Login(session, graphene.UserType.USER, pin);
  },

  logout(session: Buffer): void {
    library().lib.C_Logout(session);
  },

  findKey(session: Buffer, slot: Buffer, tokenLabel: string, ref: KeyRef): KeyHandles {
    return handlesOf(findKey(sessionOf(session, slot), tokenLabel, ref));
  },

  /** Every key pair whose private half is labelled `label`, by canonical URI. */
  findKeys(session: Buffer, slot: Buffer, tokenLabel: string, label: string): KeyHandles[] {
    const s = sessionOf(session, slot);
    const found = s.find({ class: graphene.ObjectClass.PRIVATE_KEY, label });
    const ids = Array.from({ length: found.length }, (_, i) => found.items(i).getAttribute('id') as Buffer);
    return ids.map((id) => handlesOf(findKey(s, tokenLabel, { object: label, id })));
  },

  inspectKey(session: Buffer, slot: Buffer, tokenLabel: string, ref: KeyRef): KeyAttributes {
    return readKeyAttributes(findKey(sessionOf(session, slot), tokenLabel, ref));
  },

  /**
   * C_GenerateKeyPair in the token, on libuv's pool (RSA-4096 takes seconds on SoftHSM), so this
   * thread goes on answering other calls meanwhile. Returns the pair's CKA_ID and SPKI.
   */
  async generateKeyPair(session: Buffer, slot: Buffer, algorithm: KeyAlgorithm, label: string): Promise<{ id: Buffer; spki: Buffer }> {
    const s = sessionOf(session, slot);
    const made = await generateKeyPairInToken(s, algorithm, label);
    return { id: made.id, spki: readPublicKey(made.keys.publicKey).spki };
  },
} as const;

export type ControlOps = typeof OPS;
export type OpName = keyof ControlOps;

/**
 * The thread's loop: [id, op, args] in, [id, result] or [id, undefined, error] out. Once the main
 * thread has given this thread up (`workerData.quit` set), it runs nothing more and lets its
 * port go, so it ends by itself: terminating a thread from outside while it is inside the
 * library, or just back from it, can crash the process in Node's N-API glue (seen here).
 */
export function serve(): void {
  const quit = new Int32Array(workerData.quit as SharedArrayBuffer);
  parentPort!.on('message', (message: [number, OpName, unknown[]] | 'quit') => {
    if (message === 'quit' || Atomics.load(quit, 0) !== 0) {
      parentPort!.close();
      return;
    }
    const [id, op, args] = message;
    const fn = OPS[op] as (...a: unknown[]) => unknown;
    Promise.resolve()
      .then(() => fn(...(revive(args) as unknown[])))
      .then(
        (result) => {
          // Its caller gave up waiting: nobody else would ever close this session.
          if (op === 'openSession' && Atomics.load(quit, 0) !== 0) OPS.closeSession(result as Buffer);
          parentPort!.postMessage([id, result]);
        },
        (err: unknown) => parentPort!.postMessage([id, undefined, toWire(err)]),
      );
  });
}
