/**
 * What a PKCS#11 module shows without a login: the library, its slots, and each present token
 * with its flags and signing mechanisms. For `hsmca hsm check`, where an HSM administrator
 * confirms the daemon sees the token they expect.
 */
import * as graphene from 'graphene-pk11';
import { acquireModule, releaseModule } from './module';
import { CKM } from './mechanisms';
import { ckmName } from './names';

/** Every signing mechanism a SignPlan can choose (mechanisms.ts), i.e. all but key generation. */
const OURS: ReadonlySet<number> = new Set(Object.entries(CKM).filter(([name]) => !name.endsWith('_GEN')).map(([, v]) => v));

export interface TokenInventory {
  label: string;
  manufacturer: string;
  model: string;
  serialNumber: string;
  /** The token's state flags that matter to an operator (TOKEN_INITIALIZED, USER_PIN_LOCKED, …). */
  flags: string[];
  /** Of the mechanisms hsmca signs with, those the token has (by CKM_ name). */
  signMechanisms: string[];
}

export interface SlotInventory {
  slot: number;
  description: string;
  manufacturer: string;
  token?: TokenInventory;
}

export interface ModuleInventory {
  path: string;
  library: string;
  manufacturer: string;
  libraryVersion: string;
  cryptokiVersion: string;
  slots: SlotInventory[];
}

const version = (v: { major: number; minor: number }): string => `${v.major}.${v.minor}`;

function flagNames(flags: number): string[] {
  return Object.entries(graphene.TokenFlag)
    .filter(([name, bit]) => typeof bit === 'number' && flags & bit && name !== 'RNG' && name !== 'CLOCK_ON_TOKEN')
    .map(([name]) => name);
}

function signMechanisms(slot: graphene.Slot): string[] {
  const list = slot.getMechanisms();
  const names: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const m = list.items(i);
    if (m.flags & graphene.MechanismFlag.SIGN && OURS.has(m.type)) names.push(ckmName(m.type));
  }
  return names;
}

function describeSlot(slot: graphene.Slot, index: number): SlotInventory {
  const entry: SlotInventory = { slot: index, description: slot.slotDescription.trim(), manufacturer: slot.manufacturerID.trim() };
  if (slot.flags & graphene.SlotFlag.TOKEN_PRESENT) {
    const t = slot.getToken();
    entry.token = {
      label: t.label.trim(), manufacturer: t.manufacturerID.trim(), model: t.model.trim(),
      serialNumber: t.serialNumber.trim(), flags: flagNames(t.flags), signMechanisms: signMechanisms(slot),
    };
  }
  return entry;
}

/** Loads (or shares) the module and lists every slot, with or without a token. */
export function inventoryModule(path: string): ModuleInventory {
  const module = acquireModule(path);
  try {
    const slots = module.getSlots(false);
    const described: SlotInventory[] = [];
    for (let i = 0; i < slots.length; i++) described.push(describeSlot(slots.items(i), i));
    return {
      path, library: module.libraryDescription.trim(), manufacturer: module.manufacturerID.trim(),
      libraryVersion: version(module.libraryVersion), cryptokiVersion: version(module.cryptokiVersion), slots: described,
    };
  } finally {
    releaseModule(path);
  }
}
