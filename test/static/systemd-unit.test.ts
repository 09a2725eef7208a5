/**
 * config/hsmca.service: the hardening the issue asks for is there, it runs the README's command,
 * reloads with SIGHUP and stops with SIGTERM with room beyond the grace period; and systemd's
 * own tools (systemd-analyze verify, security --offline) accept and rate it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULTS } from '../../src/config/config';

const UNIT = path.resolve(__dirname, '../../config/hsmca.service');

/** `Key=value` lines of the [Service] section; repeated keys keep every value. */
function serviceSection(): Map<string, string[]> {
  const text = fs.readFileSync(UNIT, 'utf8');
  const body = text.slice(text.indexOf('[Service]'), text.indexOf('[Install]'));
  const out = new Map<string, string[]>();
  for (const line of body.split('\n').filter((l) => /^[A-Za-z]+=/.test(l))) {
    const eq = line.indexOf('=');
    out.set(line.slice(0, eq), [...(out.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('config/hsmca.service', () => {
  const s = serviceSection();
  const one = (k: string): string | undefined => s.get(k)?.at(-1);

  it('is hardened: strict read-only system, no privileges, no capabilities, private /tmp and devices', () => {
    assert.deepEqual(
      ['ProtectSystem', 'NoNewPrivileges', 'PrivateTmp', 'PrivateDevices', 'ProtectHome', 'CapabilityBoundingSet', 'AmbientCapabilities',
        'RestrictSUIDSGID', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectControlGroups', 'LockPersonality', 'RestrictNamespaces']
        .map((k) => [k, one(k)]),
      [['ProtectSystem', 'strict'], ['NoNewPrivileges', 'yes'], ['PrivateTmp', 'yes'], ['PrivateDevices', 'yes'], ['ProtectHome', 'yes'],
        ['CapabilityBoundingSet', ''], ['AmbientCapabilities', ''], ['RestrictSUIDSGID', 'yes'], ['ProtectKernelTunables', 'yes'],
        ['ProtectKernelModules', 'yes'], ['ProtectControlGroups', 'yes'], ['LockPersonality', 'yes'], ['RestrictNamespaces', 'yes']],
    );
    assert.equal(one('User'), 'hsmca');
    assert.equal(one('StateDirectory'), 'hsmca');
  });

  it("runs the README's command, reloads on SIGHUP, stops on SIGTERM after the grace period", () => {
    assert.match(one('ExecStart') ?? '', /^\/usr\/bin\/node \/opt\/hsmca\/dist\/cli\.js serve$/);
    assert.match(one('ExecStartPre') ?? '', /dist\/cli\.js config check$/);
    assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(one('KillSignal'), 'SIGTERM');
    assert.ok(Number(one('TimeoutStopSec')) * 1000 > DEFAULTS.shutdownGraceMs + 10_000, 'room for drain + close');
    assert.ok(s.get('Environment')?.some((e) => e === 'HSMCA_PKCS11_PIN_FILE=%d/pin'), 'the PIN comes as a credential');
    assert.deepEqual(s.get('LoadCredential'), ['pepper:/etc/hsmca/pepper', 'pin:/etc/hsmca/pin']);
    assert.ok(s.get('Environment')?.some((e) => e === 'HSMCA_TOKEN_PEPPER_FILE=%d/pepper'), 'the pepper comes as a credential');
    assert.equal(one('KillMode'), 'mixed', 'SIGTERM reaches the primary, which forwards it to the workers');
  });

  it('systemd-analyze verify accepts it and security --offline rates its exposure at most 2.0', function () {
    if (!hasSystemdAnalyze) this.skip();
    const verify = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', UNIT], { encoding: 'utf8' });
    const exposure = Number(/Overall exposure level for hsmca\.service: ([\d.]+)/.exec(security.stdout)?.[1]);
    assert.ok(exposure <= 2.0, `exposure ${exposure}`);
  });
});
