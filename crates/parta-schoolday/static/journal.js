// Journal grid: arrow keys move between cells, a typed mark saves at once.
// Plain ES5 over XMLHttpRequest, so old browsers work; without it the form still posts.
(function () {
  var form = document.getElementById('journal');
  if (!form || !window.XMLHttpRequest) return;
  var status = document.getElementById('status');
  var cells = form.querySelectorAll('input.m, input.g');
  var table = form.querySelector('table');
  var timers = {};
  // The page's words (Russian or English), so the script speaks the interface's language.
  var words = { err: form.getAttribute('data-err') || 'Error' };
  function field(name) { var f = form.elements[name]; return f ? f.value : ''; }
  function enc(k, v) { return encodeURIComponent(k) + '=' + encodeURIComponent(v); }
  // The форма контроля of the column a cell is in (new marks take it).
  function columnType(input) {
    var td = input.parentNode;
    var col = Array.prototype.indexOf.call(td.parentNode.children, td);
    var th = table.tHead && table.tHead.rows[0].cells[col];
    var sel = th && th.querySelector('select.wt');
    return sel ? sel.value : 'classwork';
  }
  function save(input) {
    var grade = input.className.indexOf('g') === 0 || / g( |$)/.test(' ' + input.className);
    var key = input.name.substring(2);
    var orig = form.elements[(grade ? 'og.' : 'o.') + key];
    var body = [enc('_csrf', form.getAttribute('data-csrf')), enc('period', field('period')),
      enc('work_type', grade ? 'classwork' : columnType(input)), enc(orig.name, orig.value), enc(input.name, input.value)].join('&');
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
        input.className = input.className.replace(/ v\S+/g, '') + ' ok';
        var first = input.value.split(/[\s,;]+/)[0];
        if (!grade && /^[1-5]$/.test(first)) input.parentNode.className = input.parentNode.className.replace(/\bv\d\b/g, '').trim() + ' v' + first;
        input.title = '';
        if (status) status.textContent = '✓';
      } else {
        input.className += ' err';
        input.title = res.detail || words.err;
        if (status) status.textContent = res.detail || words.err;
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
  // A column's форма контроля is saved when it is chosen.
  var types = form.querySelectorAll('select.wt');
  for (var j = 0; j < types.length; j++) {
    types[j].addEventListener('change', function () {
      var sel = this, orig = form.elements['o' + sel.name];
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.getAttribute('action') || window.location.pathname);
      xhr.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.setRequestHeader('X-CSRF-Token', form.getAttribute('data-csrf'));
      xhr.onreadystatechange = function () {
        if (xhr.readyState !== 4) return;
        if (xhr.status === 200) { orig.value = sel.value; if (status) status.textContent = '✓'; }
        else if (status) { status.textContent = words.err; }
      };
      xhr.send([enc('_csrf', form.getAttribute('data-csrf')), enc('period', field('period')),
        enc(orig.name, orig.value), enc(sel.name, sel.value)].join('&'));
    });
  }
  // Today's column (else the latest one given) is in view when the journal opens.
  var wrap = table.parentNode;
  var mark = table.querySelector('thead th.today');
  if (!mark) { var given = table.querySelectorAll('tbody tr:first-child input.m'); if (given.length) mark = given[given.length - 1].parentNode; }
  if (mark && wrap.scrollWidth > wrap.clientWidth) {
    wrap.scrollLeft = Math.max(0, mark.offsetLeft - wrap.clientWidth / 2);
  }
  // On a phone a tapped cell gets a keypad of the journal's marks and the attendance
  // letters instead of the phone's keyboard: one tap puts the mark, saves it and goes to
  // the next student. «⌨» brings the keyboard back for a cell (two marks, a comment).
  var current = null, pad = null;
  var touch = window.matchMedia && window.matchMedia('(pointer: coarse)').matches;
  var words_of = function (name) {
    return (form.getAttribute(name) || '').split(' ').filter(function (k) { return k; });
  };
  var marks = words_of('data-marks'), letters = words_of('data-att');
  var keys = marks.concat(letters);
  // A mark replaces the cell's mark and keeps its attendance letter; a letter is put in
  // or taken out, and keeps the mark.
  function tapped(value, k) {
    var parts = value.split(/[\s,;]+/).filter(function (t) { return t; });
    var at = parts.indexOf(k);
    if (letters.indexOf(k) >= 0) {
      if (at >= 0) { parts.splice(at, 1); } else { parts.push(k); }
    } else {
      parts = parts.filter(function (t) { return marks.indexOf(t) < 0; });
      parts.unshift(k);
    }
    return parts.join(' ');
  }
  if (touch && keys.length) {
    pad = document.createElement('div');
    pad.className = 'pad';
    pad.setAttribute('role', 'toolbar');
    pad.setAttribute('aria-label', form.getAttribute('data-pad') || '');
    var add = function (label, title, act) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      if (title) { b.title = title; b.setAttribute('aria-label', title); }
      // Pressing a key must not take the focus from the cell.
      b.addEventListener('mousedown', function (e) { e.preventDefault(); });
      b.addEventListener('click', function () { if (current) act(current); });
      pad.appendChild(b);
    };
    for (var n = 0; n < keys.length; n++) {
      (function (k) {
        add(k, '', function (input) {
          input.value = tapped(input.value, k);
          schedule(input, 0);
          move(input, 1, 0);
        });
      })(keys[n]);
    }
    add('⌫', form.getAttribute('data-clear'), function (input) { input.value = ''; schedule(input, 0); });
    add('⌨', form.getAttribute('data-kb'), function (input) {
      input.setAttribute('inputmode', 'text');
      input.blur();
      input.focus();
    });
    pad.style.display = 'none';
    form.appendChild(pad);
    // The last rows stay reachable above the keypad.
    form.style.paddingBottom = '7rem';
    for (var q = 0; q < cells.length; q++) cells[q].setAttribute('inputmode', 'none');
    form.addEventListener('focusout', function () {
      setTimeout(function () {
        var a = document.activeElement;
        if (!a || (a.className || '').indexOf('m') !== 0 && (a.className || '').indexOf('g') !== 0) pad.style.display = 'none';
      }, 0);
    });
  }
  for (var i = 0; i < cells.length; i++) {
    cells[i].addEventListener('focus', function () {
      this.select();
      current = this;
      if (pad) pad.style.display = '';
    });
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
