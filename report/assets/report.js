'use strict';
(function () {
  var grid = document.getElementById('grid');
  var box = document.getElementById('flips-only');
  var shown = document.getElementById('shown');
  if (!grid || !box) {
    return;
  }
  var rows = grid.querySelectorAll('tbody tr.item');

  function detailOf(tr) {
    var d = tr.nextElementSibling;
    return d && d.classList.contains('detail') ? d : null;
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
