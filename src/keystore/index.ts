/** The key store seam and its PKCS#11 implementation; nothing else here is public. */
export * from './keystore';
export { openPkcs11KeyStore, DEFAULT_SESSIONS, DEFAULT_SIGN_TIMEOUT_MS, type Pkcs11KeyStoreOptions } from './pkcs11/pkcs11-keystore';
export type { KeyAttributes, KeyInspector, PrivateKeyAttributes, PublicKeyAttributes } from './pkcs11/key-attributes';
export { ecdsaRawToDer } from './pkcs11/ecdsa-der';
export { formatPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from './pkcs11/uri';
export { HEALTH_KEY_LABEL } from './pkcs11/health';
export { inventoryModule, type ModuleInventory, type SlotInventory, type TokenInventory } from './pkcs11/inventory';
