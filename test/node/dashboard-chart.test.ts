// The dashboard's usage charts (dashboard/src/chart.tsx): how the options given to uPlot place the days that
// GET /v1/analytics?group_by=day returns. (The charts drawn in a browser: e2e/dashboard.test.ts.)
import { afterAll, describe, expect, it } from "vitest";
import { plotOptions } from "../../dashboard/src/chart";

// A browser west of Greenwich, where a UTC midnight is the evening before.
const zone = process.env.TZ;
process.env.TZ = "America/New_York";
afterAll(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe("the dashboard's usage charts", () => {
  // Regression: uPlot read the x values in the browser's time zone, so in New York the point of the UTC day
  // 2026-11-26 was drawn and labelled as 7 pm on 11/25, and the axis ticks fell on local midnights.
  it("read each day's timestamp in UTC, the days the analytics group by", () => {
    const day = Date.UTC(2026, 10, 26) / 1000;
    expect(new Date(day * 1000).getDate()).toBe(25); // the zone is in effect
    const options = plotOptions({ x: [day], series: [{ label: "Requests", values: [3], color: "#000" }] }, 300);
    const shown = options.tzDate?.(day);
    expect(shown && [shown.getFullYear(), shown.getMonth() + 1, shown.getDate(), shown.getHours()]).toEqual([
      2026, 11, 26, 0,
    ]);
  });
});
