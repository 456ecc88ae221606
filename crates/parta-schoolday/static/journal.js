// Journal grid: arrow keys move between cells, a typed mark saves at once.
// Plain ES5 over XMLHttpRequest, so old browsers work; without it the form still posts.
(function () {
  var form = document.getElementById('journal');
  if (!form || !window.XMLHttpRequest) return;
  var status = document.getElementById('status');
  var cells = form.querySelectorAll('input.m, input.g');
  var table = form.querySelector('table');
  var timers = {};
  function field(name) { var f = form.elements[name]; return f ? f.value : ''; }
  function enc(k, v) { return encodeURIComponent(k) + '=' + encodeURIComponent(v); }
  function save(input) {
    var grade = input.className.indexOf('g') === 0 || / g( |$)/.test(' ' + input.className);
    var key = input.name.substring(2);
    var orig = form.elements[(grade ? 'og.' : 'o.') + key];
    var body = [enc('_csrf', form.getAttribute('data-csrf')), enc('period', field('period')),
      enc('work_type', field('work_type')), enc(orig.name, orig.value), enc(input.name, input.value)].join('&');
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.getAttribute('action') || window.location.pathname);
    xhr.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('X-CSRF-Token', form.getAttribute('data-csrf'));
    input.className = input.className.replace(/ (ok|err)/g, '') + ' busy';
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) return;
      var res = {};
      try { res = JSON.parse(xhr.responseText); } catch (e) { res = {}; }
      input.className = input.className.replace(/ busy/g, '');
      if (xhr.status === 200 && res.ok) {
        if (grade) { orig.value = input.value; } else {
          var marks = (res.marks && res.marks[key]) || [];
          var letters = input.value.split(/[\s,;]+/).filter(function (t) { return /^[нбуоnНБУО]$/.test(t); });
          orig.value = marks.concat(letters.map(function (l) { return l.toLowerCase(); })).join(' ');
        }
        input.className += ' ok';
        input.title = '';
        if (status) status.textContent = '✓';
      } else {
        input.className += ' err';
        input.title = res.detail || 'Ошибка';
        if (status) status.textContent = res.detail || 'Ошибка сохранения';
      }
    };
    xhr.send(body);
  }
  function schedule(input, ms) {
    clearTimeout(timers[input.name]);
    timers[input.name] = setTimeout(function () { save(input); }, ms);
  }
  function move(input, dr, dc) {
    var td = input.parentNode, tr = td.parentNode;
    var col = Array.prototype.indexOf.call(tr.children, td);
    var rows = table.tBodies[0].rows, r = Array.prototype.indexOf.call(rows, tr) + dr;
    var c = col + dc;
    while (r >= 0 && r < rows.length && c > 0 && c < rows[r].children.length) {
      var next = rows[r].children[c].querySelector('input.m, input.g');
      if (next) { next.focus(); return; }
      if (dc) { c += dc; } else { r += dr; }
    }
  }
  for (var i = 0; i < cells.length; i++) {
    cells[i].addEventListener('focus', function () { this.select(); });
    cells[i].addEventListener('keydown', function (e) {
      var k = e.key || e.keyCode;
      if (k === 'ArrowRight' || k === 39) { move(this, 0, 1); e.preventDefault(); }
      else if (k === 'ArrowLeft' || k === 37) { move(this, 0, -1); e.preventDefault(); }
      else if (k === 'ArrowDown' || k === 40 || k === 'Enter' || k === 13) { move(this, 1, 0); e.preventDefault(); }
      else if (k === 'ArrowUp' || k === 38) { move(this, -1, 0); e.preventDefault(); }
    });
    cells[i].addEventListener('input', function () {
      // One mark or letter typed into a cell saves at once; longer edits on leaving.
      schedule(this, this.value.replace(/\s/g, '').length <= 1 ? 150 : 1500);
    });
    cells[i].addEventListener('change', function () { schedule(this, 0); });
  }
})();
