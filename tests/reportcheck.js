// The report's layout checks, run in the page by tests/browser.py (Runtime.evaluate). One
// function of no argument; it returns {problems, counts}. Each problem is {check, where, px,
// message, box}: the check ('overflow', 'empty-chart', 'legend', 'label'), the element it names
// (a chart by its id or aria-label), by how many CSS px it is off, a sentence, and the element's
// box in page coordinates (for a screenshot of it).
//
// The markup the report keeps (the contract these checks read): each chart is a
// <figure class="chart" id=...> that draws in inline <svg> (a viewBox, scaled to its container;
// one, or one per small multiple) or in HTML (bars as boxes), its drawn values of class "mark";
// a chart of several series has a <ul class="legend"> in its figure; a wide table sits in a
// <div class="scroll"> (overflow-x: auto).
() => {
  const TOL = 1; // px: boxes are fractional, and a sub-pixel difference is rounding, not a defect
  const MAX_PER_CHECK = 40; // a broken template repeats one defect on every chart: name the first ones
  const root = document.documentElement;
  const vw = root.clientWidth; // the width the page lays out in: the window less a vertical scrollbar
  const problems = [];
  const dropped = {};
  const px = (n) => Math.ceil(n - 0.01);
  const pageBox = (r) => ({x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height});
  const add = (check, where, by, message, rect) => {
    if (problems.filter((p) => p.check === check).length >= MAX_PER_CHECK) {
      dropped[check] = (dropped[check] || 0) + 1;
      return;
    }
    problems.push({check, where, px: px(by), message: `${where}: ${message}`, box: rect ? pageBox(rect) : null});
  };
  const text = (el, n = 40) => {
    const t = (el.textContent || '').replace(/\s+/g, ' ').trim();
    return t.length > n ? t.slice(0, n - 1) + '…' : t;
  };
  // A table by its caption, else its first header cells (its text runs the cells together).
  const heads = (table) => (table.caption ? text(table.caption, 40)
    : [...table.querySelectorAll('th')].slice(0, 4).map((th) => text(th, 20)).join(' | '));
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = (el.getAttribute('class') || '').trim();
    if (cls) s += '.' + cls.split(/\s+/).join('.');
    const label = el.getAttribute('aria-label');
    if (label) s += `[aria-label="${label.slice(0, 60)}"]`;
    const said = !el.id && !(el instanceof SVGElement) && (el.tagName === 'TABLE' ? heads(el) : text(el, 30));
    if (said) s += ` "${said}"`;
    const within = !el.id && el.parentElement && el.parentElement.closest('[id]');
    if (within) s += ` in ${within.tagName.toLowerCase()}#${within.id}`;
    return s;
  };
  const shown = (el) => {
    const cs = getComputedStyle(el);
    return cs.display !== 'none' && cs.visibility !== 'hidden' && cs.visibility !== 'collapse' && cs.opacity !== '0';
  };
  const empty = (r) => r.width === 0 && r.height === 0;
  const outside = (r, box) => {
    const sides = {left: box.left - r.left, right: r.right - box.right, top: box.top - r.top, bottom: r.bottom - box.bottom};
    const side = Object.keys(sides).reduce((a, b) => (sides[b] > sides[a] ? b : a));
    return {side, by: sides[side]};
  };
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);

  // (a) Horizontal overflow: the page wider than the viewport, and the outermost elements that
  // stick out past its right edge. Content in a scroll container is scrolled, not cut: the
  // container alone must fit. An svg's inside is (b)'s and (c)'s. An element whose layout
  // overflow (left + scrollWidth) fits holds no descendant in flow that sticks out, so the walk
  // skips it; when the page overflows and that walk names nothing, a walk of every element does.
  // An element that fits but whose own content does not (a long word) is named itself.
  const pageWidth = root.scrollWidth;
  const pageOverflows = pageWidth > vw + TOL;
  if (pageOverflows) {
    add('overflow', 'the page', pageWidth - vw, `is ${pageWidth}px wide, ${px(pageWidth - vw)}px wider than the ${vw}px viewport`, null);
  }
  let walked = 0;
  const walk = (el, clippedBy, prune) => {
    walked++;
    const cs = getComputedStyle(el);
    if (cs.display === 'none') return false;
    const r = el.getBoundingClientRect();
    if (!empty(r) && r.right > vw + TOL && cs.position !== 'fixed') {
      const by = r.right - vw;
      const how = clippedBy ? `is cut off by ${clippedBy}` : 'sticks out past the viewport\'s right edge';
      add('overflow', describe(el), by, `${how} by ${px(by)}px (${px(r.width)}px wide from x=${px(r.left)})`, r);
      return true;
    }
    if (el instanceof SVGElement || scrolls(el)) return false;
    const box = cs.display !== 'contents' && cs.display !== 'inline';
    const reach = r.left + el.scrollWidth;
    if (prune && box && reach <= vw + TOL) return false;
    const clips = cs.overflowX !== 'visible' ? describe(el) : clippedBy;
    let named = false;
    for (const child of el.children) named = walk(child, clips, prune) || named;
    if (!named && box && reach > vw + TOL) {
      const by = reach - vw;
      const how = cs.overflowX !== 'visible' ? `has its content cut off (overflow-x: ${cs.overflowX})`
        : clippedBy ? `has content cut off by ${clippedBy}` : 'has content (text) sticking out past the viewport\'s right edge';
      add('overflow', describe(el), by, `${how} by ${px(by)}px`, r);
      named = true;
    }
    return named;
  };
  if (document.body && !walk(document.body, null, true) && pageOverflows) walk(document.body, null, false);

  // (b) Empty charts: each figure.chart shows at least one mark, and each of its svgs has a box.
  const figures = [...document.querySelectorAll('figure.chart')];
  const chartName = (fig, i) => {
    if (fig.id) return `chart #${fig.id}`;
    const svg = fig.querySelector('svg');
    const label = fig.getAttribute('aria-label') || (svg && svg.getAttribute('aria-label'));
    if (label) return `chart "${label.slice(0, 60)}"`;
    const caption = fig.querySelector('figcaption');
    return caption ? `chart "${text(caption, 60)}"` : `chart ${i + 1} of ${figures.length} (no id)`;
  };
  // A chart draws in svg (one, or one per small multiple) or in HTML (bars as boxes): its marks are
  // the elements of class "mark"; one in an svg must show inside that svg, one in HTML inside the figure.
  const svgsOf = (fig) => [...fig.querySelectorAll('svg')].filter((s) => !s.closest('.legend') && !s.parentElement.closest('svg'));
  let marks = 0, legendItems = 0, labels = 0;
  figures.forEach((fig, i) => {
    const name = chartName(fig, i);
    const fbox = fig.getBoundingClientRect();
    const svgs = svgsOf(fig);
    const all = [...fig.querySelectorAll('.mark')].filter((m) => !m.closest('.legend'));
    if (!svgs.length && !all.length) {
      add('empty-chart', name, 0, 'holds no svg and no element of class "mark"', fbox);
      return;
    }
    for (const svg of svgs) {
      const box = svg.getBoundingClientRect();
      if (box.width < 1 || box.height < 1) {
        add('empty-chart', name, 0, `its svg is ${px(box.width)}×${px(box.height)}px: nothing shows`, fbox);
        continue;
      }
      // (c) Clipped labels: an svg clips what falls outside its box.
      for (const t of svg.querySelectorAll('text')) {
        const r = t.getBoundingClientRect();
        if (!text(t) || empty(r) || !shown(t)) continue;
        labels++;
        const {side, by} = outside(r, box);
        if (by > TOL) add('label', name, by, `text "${text(t)}" falls ${px(by)}px outside its svg (${side})`, r);
      }
    }
    const seen = all.filter((m) => {
      const r = m.getBoundingClientRect();
      const svg = m instanceof SVGElement ? m.ownerSVGElement : null;
      const box = (svg || fig).getBoundingClientRect();
      return !empty(r) && shown(m) && r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
    });
    marks += seen.length;
    if (!seen.length && !problems.some((p) => p.where === name && p.check === 'empty-chart')) {
      const why = all.length ? `none of its ${all.length} marks shows inside its svg or figure` : 'it has no element of class "mark"';
      add('empty-chart', name, 0, why, fbox);
    }
    // (c) Cut legends: each item inside its figure, inside every box between them that clips, its
    // text not cut, and inside the viewport horizontally. An svg legend must stay in its svg too.
    for (const item of fig.querySelectorAll('.legend li, svg .legend')) {
      legendItems++;
      const r = item.getBoundingClientRect();
      const what = `legend item "${text(item)}"`;
      if (empty(r) || !shown(item)) {
        add('legend', name, 0, `${what} is not shown`, fbox);
        continue;
      }
      // The figure, an svg legend's svg, and every box between the item and its figure that clips
      // (an svg does): the item is named once, with the box it sticks out of the most (the
      // innermost of equals).
      const boxes = [];
      const own = item instanceof SVGElement ? item.ownerSVGElement : null;
      for (let a = item.parentElement; a && a !== fig && a !== own; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible') boxes.push([a.getBoundingClientRect(), describe(a)]);
      }
      if (own) boxes.push([own.getBoundingClientRect(), 'its svg']);
      boxes.push([fbox, 'its figure']);
      const worst = boxes.map(([b, label]) => ({label, ...outside(r, b)})).reduce((a, b) => (b.by > a.by ? b : a));
      if (worst.by > TOL) add('legend', name, worst.by, `${what} sticks out of ${worst.label} by ${px(worst.by)}px (${worst.side})`, r);
      const past = Math.max(-r.left, r.right - vw);
      if (past > TOL) add('legend', name, past, `${what} lies ${px(past)}px outside the viewport`, r);
      if (item instanceof HTMLElement && getComputedStyle(item).overflowX !== 'visible' && item.scrollWidth > item.clientWidth + TOL) {
        add('legend', name, item.scrollWidth - item.clientWidth, `${what} has its text cut by ${px(item.scrollWidth - item.clientWidth)}px`, r);
      }
    }
  });
  for (const [check, n] of Object.entries(dropped)) {
    problems.push({check, where: 'the page', px: 0, message: `the page: ${n} more ${check} problem(s) not listed`, box: null});
  }
  return {
    problems,
    counts: {viewport: vw, innerWidth, pageWidth, pageHeight: root.scrollHeight, charts: figures.length, marks,
             legendItems, labels, elementsWalked: walked},
  };
}
