// Prints bench results: start-up next to its floor, the workloads with ratios (vs the reference
// and vs our own empty-node figure), the targets with met / not met, then one traced ADD and DEL
// per plugin. Every ratio compares figures of the same run. Adds results.targets.
const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const r2 = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const fr = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const mb = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : '—');

function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
  console.log('');
}

export function report(results, { present, many }) {
  const W = results.workloads;
  const targets = [];
  const target = (figure, value, limit) => targets.push({ figure, value, limit, met: Number.isFinite(value) ? value <= limit : null });

  if (W.startup) {
    const s = W.startup;
    const floor = s['hello-world SEA'];
    console.log('\nOne process start (CNI_COMMAND=VERSION), interleaved runs; ratios vs the hello-world SEA of the same build:');
    table(
      ['executable', 'p50 ms', 'p90 ms', 'max ms', 'vs hello', 'peak RSS MB', 'RSS vs hello'],
      Object.entries(s).map(([k, v]) => [k, f(v.p50), f(v.p90), f(v.max), fr(r2(v.p50, floor.p50)), mb(v.rssKB), fr(r2(v.rssKB, floor.rssKB))]),
    );
    target('VERSION p50 / hello-world SEA (loopback)', r2(s['ours loopback (pkg)'].p50, floor.p50), 1.15);
    target('VERSION p50 / hello-world SEA (bridge)', r2(s['ours bridge (pkg)'].p50, floor.p50), 1.15);
    target('VERSION peak RSS / hello-world SEA (bridge)', r2(s['ours bridge (pkg)'].rssKB, floor.rssKB), 1.1);
    const tr = W.trace?.['ours-nftables']?.calls;
    if (tr?.length) target('peak RSS of a conflist call (max over bridge/portmap ADD/DEL) / hello-world SEA', r2(Math.max(...tr.map((c) => c.rssKB)), floor.rssKB), 1.1);
  }

  const rows = [];
  const flows = Object.keys(W).filter((k) => k.startsWith('conflist') || k.startsWith('parallel'));
  for (const name of flows) {
    for (const verb of ['add', 'del']) {
      for (const [impl, v] of Object.entries(W[name])) {
        const s = v[verb];
        if (!s) continue; // the workload failed (printed below)
        const own = name.includes('-present') ? W.conflist?.[impl]?.[verb]?.p50 : NaN;
        rows.push([`${name} ${verb.toUpperCase()}`, impl, f(s.p50), f(s.p90), f(s.max), fr(r2(s.p50, W[name].reference?.[verb]?.p50)), fr(r2(s.p50, own))]);
      }
    }
  }
  if (W.hostLocal && !W.hostLocal.error) {
    for (const n of ['0', '10000']) {
      for (const impl of ['ours', 'ref']) {
        const v = W.hostLocal[impl]?.[n];
        if (v) rows.push([`host-local ADD+DEL (process), ${n} leases`, impl === 'ours' ? 'ours' : 'reference', f(v.p50), f(v.p90), f(v.max), fr(r2(v.p50, W.hostLocal.ref[n].p50)), '']);
      }
    }
  }
  if (W.vxlan && !W.vxlan.error) {
    for (const net of ['vxlan', 'bridge']) {
      for (const verb of ['add', 'del']) {
        const v = W.vxlan[net]?.[verb];
        if (v) rows.push([`${net} network (vxlan bench) ${verb.toUpperCase()}`, 'ours', f(v.p50), f(v.p90), f(v.max), '', '']);
      }
    }
  }
  if (rows.length) {
    console.log('Workloads (conflist = bridge + host-local + portmap, one port mapping each):');
    table(['workload', 'impl', 'p50 ms', 'p90 ms', 'max ms', 'vs reference', 'vs own empty'], rows);
  }
  for (const name of flows.filter((k) => k.startsWith('parallel'))) {
    console.log(`${name}: duplicate IPs ${Object.entries(W[name]).map(([k, v]) => `${k} ${v.duplicateIps}`).join(', ')}`);
  }
  for (const name of flows) {
    for (const [impl, v] of Object.entries(W[name])) if (v.error) console.log(`${name} / ${impl} failed: ${v.error.split('\n').slice(0, 6).join(' ')}`);
  }
  if (W.hostLocal?.error) console.log(`host-local workload: ${W.hostLocal.error}`);
  if (W.vxlan?.error) console.log(`vxlan workload: ${W.vxlan.error}`);
  else if (W.vxlan) {
    const mbps = (net) => W.vxlan[net]?.tcp?.mbps;
    console.log(`vxlan: TCP between two containers ${f(mbps('vxlan'))} Mbit/s across hosts vs ${f(mbps('bridge'))} Mbit/s on one bridge (${fr(r2(mbps('vxlan'), mbps('bridge')))})`);
  }

  const nft = (name, verb) => W[name]?.['ours-nftables']?.[verb]?.p50;
  const refp = (name, verb) => W[name]?.reference?.[verb]?.p50;
  if (W.conflist) {
    target('conflist ADD p50 / reference (nftables)', r2(nft('conflist', 'add'), refp('conflist', 'add')), 1.2);
    target('conflist DEL p50 / reference (nftables)', r2(nft('conflist', 'del'), refp('conflist', 'del')), 0.5);
  }
  for (const [n, limit] of [
    [present, 1.05],
    [many, 1.05],
  ]) {
    const name = `conflist-with-${n}-present`;
    if (!W[name] || !W.conflist) continue;
    target(`ADD with ${n} present / own empty (nftables)`, r2(nft(name, 'add'), nft('conflist', 'add')), limit);
    if (n === many) target(`DEL with ${n} present / own empty (nftables)`, r2(nft(name, 'del'), nft('conflist', 'del')), limit);
  }
  if (W['parallel-8']) {
    target('parallel-8 ADD p50 / reference (nftables)', r2(nft('parallel-8', 'add'), refp('parallel-8', 'add')), 1.2);
    target('parallel-8 DEL p50 / reference (nftables)', r2(nft('parallel-8', 'del'), refp('parallel-8', 'del')), 0.5);
  }
  if (targets.length) {
    console.log('\nTargets (issue 17; ratios of this run):');
    table(['figure', 'this run', 'target', 'met'], targets.map((t) => [t.figure, fr(t.value), `≤ ${t.limit}×`, t.met === null ? '—' : t.met ? 'yes' : 'NO']));
  }
  results.targets = targets;

  const printCalls = (calls, title) => {
    if (!calls?.length) return;
    console.log(title);
    for (const c of calls) {
      console.log(`  ${c.type} ${c.command}: ${f(c.ms)} ms wall, peak RSS ${mb(c.rssKB)} MB`);
      for (const t of c.trace) console.log(`      ${t.replace(/^trace /, '')}`);
    }
  };
  printCalls(W.trace?.['ours-nftables']?.calls, 'One conflist ADD and DEL, ours-nftables, one other container on the network, TSCNI_TRACE=1 (ms since the process started; host-local runs inside bridge):');
  printCalls(W[`conflist-with-${many}-present`]?.['ours-nftables']?.calls, `The same with ${many} containers present (where time grows with the node's size):`);
}
