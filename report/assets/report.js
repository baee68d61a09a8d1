'use strict';
(function () {
  var grid = document.getElementById('grid');
  var box = document.getElementById('flips-only');
  var shown = document.getElementById('shown');
  var dataEl = document.getElementById('report-data');
  if (!grid || !box || !dataEl) {
    return;
  }
  // The grid's texts, each once: t[k] is a string, or [kept prefix, full length]
  // when the page keeps only the start of it.
  var data = JSON.parse(dataEl.textContent);
  var rows = grid.querySelectorAll('tbody tr.item');
  var STRIDE = 6;

  function fmt(s) {
    var args = Array.prototype.slice.call(arguments, 1);
    return s.replace(/%d/g, function () { return String(args.shift()); });
  }

  function detailOf(tr) {
    var d = tr.nextElementSibling;
    return d && d.classList.contains('detail') ? d : null;
  }

  function text(k) {
    var t = data.t[k];
    return typeof t === 'string' ? t : t[0];
  }

  function head(parent, s) {
    var div = document.createElement('div');
    div.className = 'variant-head';
    div.textContent = s;
    parent.appendChild(div);
    return div;
  }

  // block shows text k: its first data.show characters, and a button for the rest.
  function block(parent, k) {
    var pre = document.createElement('pre');
    parent.appendChild(pre);
    if (k < 0) {
      return;
    }
    var t = data.t[k];
    var full = text(k);
    var chars = Array.from(full);
    if (chars.length > data.show) {
      pre.textContent = chars.slice(0, data.show).join('') + '…';
      var more = document.createElement('button');
      more.type = 'button';
      more.className = 'more';
      more.textContent = fmt(data.w.showall, chars.length);
      more.addEventListener('click', function (e) {
        e.stopPropagation();
        pre.textContent = full;
        more.remove();
      });
      parent.appendChild(more);
    } else {
      pre.textContent = full;
    }
    if (typeof t !== 'string') {
      var note = document.createElement('p');
      note.className = 'muted cut';
      note.textContent = fmt(data.w.pagecut, chars.length, t[1]);
      parent.appendChild(note);
    }
  }

  function fill(tr, td) {
    var row = data.i[Array.prototype.indexOf.call(rows, tr)];
    head(td, data.w.prompt);
    block(td, row[0]);
    head(td, data.w.expected);
    block(td, row[1]);
    for (var v = 0; v < data.labels.length; v++) {
      var c = row.slice(2 + v * STRIDE, 2 + (v + 1) * STRIDE);
      if (c[0] < 0) {
        continue;
      }
      var h = head(td, data.labels[v] + ': ' + (c[0] ? '✓' : '✗'));
      var parts = [[data.w.extracted, c[2]], [data.w.finish, c[3]], [data.w.error, c[4]]];
      parts.forEach(function (p) {
        if (p[1] >= 0) {
          h.appendChild(document.createTextNode(' · ' + p[0] + ': ' + text(p[1])));
        }
      });
      if (c[5] >= 0) {
        h.appendChild(document.createTextNode(' · '));
        var span = document.createElement('span');
        span.className = 'cons';
        span.textContent = text(c[5]);
        h.appendChild(span);
      }
      block(td, c[1]);
    }
  }

  function applyFilter() {
    var only = box.checked;
    var n = 0;
    rows.forEach(function (tr) {
      var hide = only && tr.getAttribute('data-flip') !== 'true';
      tr.hidden = hide;
      var d = detailOf(tr);
      if (d && hide) {
        d.hidden = true;
        tr.setAttribute('aria-expanded', 'false');
      }
      if (!hide) {
        n++;
      }
    });
    if (shown) {
      shown.textContent = String(n);
    }
  }

  function toggle(tr) {
    var d = detailOf(tr);
    if (!d) {
      return;
    }
    var td = d.firstElementChild;
    if (td && !td.hasChildNodes()) {
      fill(tr, td);
    }
    d.hidden = !d.hidden;
    tr.setAttribute('aria-expanded', String(!d.hidden));
  }

  box.addEventListener('change', applyFilter);
  grid.addEventListener('click', function (e) {
    var tr = e.target.closest('tr.item');
    if (tr) {
      toggle(tr);
    }
  });
  grid.addEventListener('keydown', function (e) {
    var tr = e.target.closest('tr.item');
    if (tr && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      toggle(tr);
    }
  });
  applyFilter();
})();
