/*
 * A PKCS#11 module for fault tests: it forwards every call to a real module (SoftHSM) and, on
 * command, returns chosen CKR_* codes, delays calls, hides mechanisms, or plays a token that was
 * removed or a library that lost its state. Built by the tests with the machine's cc.
 *
 *   PKCS11_SHIM_TARGET   path of the real module
 *   PKCS11_SHIM_CONTROL  path of a control file, re-read on every call; one rule per line:
 *     fail <C_Function|*> <ckr, e.g. 0xB3> [count]   return that code (count times, or always)
 *     delay <C_Function|*> <ms> [count]              sleep before forwarding (count times, or always)
 *     (`*` leaves out C_Initialize, C_Finalize and C_GetInfo: name them to fault them)
 *     nomech <ckm, e.g. 0x1041>                      leave it out of C_GetMechanismList
 *     removed     close every real session once; then no token in the slot list, and calls
 *                 answer CKR_TOKEN_NOT_PRESENT / CKR_DEVICE_REMOVED, until the line goes away
 *     uninit      close every real session once; then every call answers
 *                 CKR_CRYPTOKI_NOT_INITIALIZED until the application calls C_Initialize again
 *   PKCS11_SHIM_LOG      optional file: one line per C_Login and its result
 *   A change of the file's content starts the rules afresh (counts, one-time actions).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <p11-kit/pkcs11.h>

#define MAX_RULES 32
#define MAX_TEXT 4096

enum kind { FAIL, DELAY, NOMECH, REMOVED, UNINIT };
struct rule { enum kind kind; char fn[64]; unsigned long value; long count; };

static CK_FUNCTION_LIST *real;
static CK_FUNCTION_LIST shim;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char text[MAX_TEXT];
static struct rule rules[MAX_RULES];
static int nrules;
static int removed_active, uninit_active, sessions_dropped, uninit_done;

static void parse(void) {
  nrules = 0;
  sessions_dropped = 0;
  uninit_done = 0;
  char copy[MAX_TEXT];
  strcpy(copy, text);
  for (char *save, *line = strtok_r(copy, "\n", &save); line && nrules < MAX_RULES; line = strtok_r(NULL, "\n", &save)) {
    struct rule r = { .count = -1 };
    char word[16] = "", fn[64] = "";
    unsigned long value = 0;
    long count = -1;
    int n = sscanf(line, "%15s %63s %li %li", word, fn, (long *)&value, &count);
    if (n < 1 || word[0] == '#') continue;
    if (!strcmp(word, "fail") && n >= 3) { r.kind = FAIL; r.value = value; r.count = n >= 4 ? count : -1; }
    else if (!strcmp(word, "delay") && n >= 3) { r.kind = DELAY; r.value = value; r.count = n >= 4 ? count : -1; }
    else if (!strcmp(word, "nomech") && n >= 2) { r.kind = NOMECH; r.value = strtoul(fn, NULL, 0); }
    else if (!strcmp(word, "removed")) r.kind = REMOVED;
    else if (!strcmp(word, "uninit")) r.kind = UNINIT;
    else continue;
    strcpy(r.fn, fn);
    rules[nrules++] = r;
  }
}

/* Re-reads the control file; call with the lock held. */
static void reload(void) {
  const char *path = getenv("PKCS11_SHIM_CONTROL");
  char now[MAX_TEXT] = "";
  if (path) {
    FILE *f = fopen(path, "r");
    if (f) {
      size_t len = fread(now, 1, MAX_TEXT - 1, f);
      now[len] = 0;
      fclose(f);
    }
  }
  if (strcmp(now, text) != 0) {
    strcpy(text, now);
    parse();
  }
  removed_active = 0;
  uninit_active = 0;
  for (int i = 0; i < nrules; i++) {
    if (rules[i].kind == REMOVED) removed_active = 1;
    if (rules[i].kind == UNINIT && !uninit_done) uninit_active = 1;
  }
}

/* What a token pulled out or a restarted HSM does to the application's sessions. */
static void drop_sessions(void) {
  if (sessions_dropped) return;
  sessions_dropped = 1;
  CK_SLOT_ID slots[64];
  CK_ULONG n = 64;
  if (real->C_GetSlotList(CK_FALSE, slots, &n) != CKR_OK) return;
  for (CK_ULONG i = 0; i < n; i++) real->C_CloseAllSessions(slots[i]);
}

static int is(const char *a, const char *b) { return !strcmp(a, b); }

/* The code to return instead of forwarding `fn`, or CKR_OK to forward (after any delay). */
static CK_RV inject(const char *fn) {
  unsigned long delay_ms = 0;
  CK_RV rv = CKR_OK;
  pthread_mutex_lock(&lock);
  reload();
  int lifecycle = is(fn, "C_Initialize") || is(fn, "C_Finalize") || is(fn, "C_GetInfo");
  if (uninit_active && !lifecycle) {
    drop_sessions();
    rv = CKR_CRYPTOKI_NOT_INITIALIZED;
  } else if (removed_active && !lifecycle && !is(fn, "C_GetSlotList")) {
    drop_sessions();
    rv = is(fn, "C_GetTokenInfo") || is(fn, "C_OpenSession") || is(fn, "C_GetMechanismList")
      ? CKR_TOKEN_NOT_PRESENT : CKR_DEVICE_REMOVED;
  }
  for (int i = 0; i < nrules && rv == CKR_OK; i++) {
    struct rule *r = &rules[i];
    int match = is(r->fn, fn) || (is(r->fn, "*") && !lifecycle);
    if (!match) continue;
    if (r->kind == DELAY && r->count != 0) {
      if (r->count > 0) r->count--;
      delay_ms += r->value;
    }
    if (r->kind == FAIL && r->count != 0) {
      if (r->count > 0) r->count--;
      rv = r->value;
    }
  }
  pthread_mutex_unlock(&lock);
  if (rv == CKR_OK && delay_ms) usleep(delay_ms * 1000);
  return rv;
}

#define WRAP(name, params, args) \
  static CK_RV shim_##name params { CK_RV rv = inject(#name); return rv != CKR_OK ? rv : real->name args; }

WRAP(C_GetTokenInfo, (CK_SLOT_ID s, CK_TOKEN_INFO_PTR i), (s, i))
WRAP(C_OpenSession, (CK_SLOT_ID s, CK_FLAGS f, CK_VOID_PTR a, CK_NOTIFY n, CK_SESSION_HANDLE_PTR h), (s, f, a, n, h))
WRAP(C_CloseSession, (CK_SESSION_HANDLE h), (h))
WRAP(C_GetSessionInfo, (CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR i), (h, i))
WRAP(C_Logout, (CK_SESSION_HANDLE h), (h))
WRAP(C_FindObjectsInit, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n), (h, t, n))
WRAP(C_FindObjects, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR o, CK_ULONG m, CK_ULONG_PTR n), (h, o, m, n))
WRAP(C_FindObjectsFinal, (CK_SESSION_HANDLE h), (h))
WRAP(C_GetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n), (h, o, t, n))
WRAP(C_SignInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (h, m, k))
WRAP(C_Sign, (CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR s, CK_ULONG_PTR sl), (h, d, dl, s, sl))
WRAP(C_GenerateKeyPair, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt, CK_ULONG pn,
  CK_ATTRIBUTE_PTR kt, CK_ULONG kn, CK_OBJECT_HANDLE_PTR pk, CK_OBJECT_HANDLE_PTR sk), (h, m, pt, pn, kt, kn, pk, sk))
WRAP(C_Finalize, (CK_VOID_PTR r), (r))

/* C_Login is also counted (PKCS11_SHIM_LOG): tests check a refused PIN is never tried again. */
static CK_RV shim_C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE u, CK_UTF8CHAR_PTR p, CK_ULONG l) {
  CK_RV rv = inject("C_Login");
  if (rv == CKR_OK) rv = real->C_Login(h, u, p, l);
  const char *log = getenv("PKCS11_SHIM_LOG");
  FILE *f = log ? fopen(log, "a") : NULL;
  if (f) {
    fprintf(f, "C_Login 0x%lx\n", rv);
    fclose(f);
  }
  return rv;
}

static CK_RV shim_C_Initialize(CK_VOID_PTR args) {
  CK_RV rv = inject("C_Initialize");
  if (rv != CKR_OK) return rv;
  rv = real->C_Initialize(args);
  pthread_mutex_lock(&lock);
  if (rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) uninit_done = 1;
  pthread_mutex_unlock(&lock);
  return rv;
}

static CK_RV shim_C_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count) {
  CK_RV rv = inject("C_GetSlotList");
  if (rv != CKR_OK) return rv;
  pthread_mutex_lock(&lock);
  int gone = removed_active;
  pthread_mutex_unlock(&lock);
  if (gone && present) {
    *count = 0;
    return CKR_OK;
  }
  return real->C_GetSlotList(present, list, count);
}

static CK_RV shim_C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count) {
  CK_RV rv = inject("C_GetMechanismList");
  if (rv != CKR_OK) return rv;
  rv = real->C_GetMechanismList(slot, list, count);
  if (rv != CKR_OK || !list) return rv;
  pthread_mutex_lock(&lock);
  CK_ULONG kept = 0;
  for (CK_ULONG i = 0; i < *count; i++) {
    int hidden = 0;
    for (int r = 0; r < nrules; r++) hidden |= rules[r].kind == NOMECH && rules[r].value == list[i];
    if (!hidden) list[kept++] = list[i];
  }
  *count = kept;
  pthread_mutex_unlock(&lock);
  return rv;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out) {
  if (!real) {
    const char *target = getenv("PKCS11_SHIM_TARGET");
    void *lib = target ? dlopen(target, RTLD_NOW | RTLD_LOCAL) : NULL;
    CK_C_GetFunctionList get = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (!get || get(&real) != CKR_OK) return CKR_GENERAL_ERROR;
    shim = *real;
    shim.C_Initialize = shim_C_Initialize;
    shim.C_Finalize = shim_C_Finalize;
    shim.C_GetSlotList = shim_C_GetSlotList;
    shim.C_GetMechanismList = shim_C_GetMechanismList;
#define SET(name) shim.name = shim_##name
    SET(C_GetTokenInfo); SET(C_OpenSession); SET(C_CloseSession); SET(C_GetSessionInfo); SET(C_Login);
    SET(C_Logout); SET(C_FindObjectsInit); SET(C_FindObjects); SET(C_FindObjectsFinal);
    SET(C_GetAttributeValue); SET(C_SignInit); SET(C_Sign); SET(C_GenerateKeyPair);
  }
  *out = &shim;
  return CKR_OK;
}
