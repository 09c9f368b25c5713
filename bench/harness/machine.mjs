// How noisy the machine was: CPU time used by this run (its own process and the process groups it started)
// and by everything else, sampled from /proc once a second. Linux only; elsewhere it reports nothing.
import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";

const TICKS = 100; // USER_HZ on Linux

function processTimes() {
  const out = new Map();
  let names;
  try {
    names = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(name), { pgrp: Number(f[2]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {}
  }
  return out;
}

export class CpuMonitor {
  constructor() {
    /** Process groups the run started (its servers). */
    this.groups = new Set();
    this.mine = 0;
    /** The servers' share of `mine`: every group the run started (not the load generator in this process). */
    this.servers = 0;
    /** The servers' CPU-seconds per process group. */
    this.byGroup = new Map();
    this.others = 0;
    this.seconds = 0;
    this.last = processTimes();
    this.startedAt = Date.now();
    this.load = [loadavg()[0]];
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  /** Counts a started process group as the run's own. */
  own(pgid) {
    this.groups.add(pgid);
  }

  sample() {
    const now = processTimes();
    for (const [pid, t] of now) {
      const before = this.last.get(pid)?.ticks ?? 0;
      const delta = Math.max(0, t.ticks - before) / TICKS;
      if (this.groups.has(t.pgrp)) {
        this.mine += delta;
        this.servers += delta;
        this.byGroup.set(t.pgrp, (this.byGroup.get(t.pgrp) ?? 0) + delta);
      } else if (pid === process.pid) this.mine += delta;
      else this.others += delta;
    }
    this.last = now;
  }

  /** A reading to compare with a later one (`shareSince`). */
  snapshot() {
    this.sample();
    return { others: this.others, servers: this.servers, byGroup: new Map(this.byGroup), at: Date.now() };
  }

  /** CPU-seconds the run's servers used since `snap`. */
  serverSecondsSince(snap) {
    this.sample();
    return this.servers - snap.servers;
  }

  /** CPU-seconds one started process group (by its leader's pid) used since `snap`. */
  groupSecondsSince(snap, pgid) {
    this.sample();
    return (this.byGroup.get(pgid) ?? 0) - (snap.byGroup.get(pgid) ?? 0);
  }

  /** The share of the machine other programs used since `snap` (0–1). */
  othersShareSince(snap) {
    this.sample();
    const wall = (Date.now() - snap.at) / 1000;
    return wall > 0 ? (this.others - snap.others) / (wall * cpus().length) : 0;
  }

  /** CPU-seconds used by this run and by other programs, as shares of the machine's capacity over the run. */
  stop() {
    clearInterval(this.timer);
    this.sample();
    this.load.push(loadavg()[0]);
    const wall = (Date.now() - this.startedAt) / 1000;
    const capacity = wall * cpus().length;
    return {
      cores: cpus().length,
      wall_s: wall,
      run_cpu_share: capacity > 0 ? this.mine / capacity : null,
      others_cpu_share: capacity > 0 ? this.others / capacity : null,
      loadavg_start: this.load[0],
      loadavg_end: this.load[1],
    };
  }
}
