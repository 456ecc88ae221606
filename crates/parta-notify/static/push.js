// The notifications page's switch for pushes in this browser: registers the service
// worker, asks the browser for a subscription to its push service with the platform's
// key, and gives it to the platform (or takes it back). Without JavaScript, service
// workers or a secure connection the switch says why and the list still works.
(function () {
  'use strict';
  var box = document.getElementById('push-switch');
  if (!box) return;
  var button = document.getElementById('push-button');
  var state = document.getElementById('push-state');
  var csrf = box.getAttribute('data-csrf');
  box.hidden = false;
  function say(attr, text) { state.textContent = text || box.getAttribute(attr); }
  if (!window.isSecureContext) { button.hidden = true; say('data-insecure'); return; }
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window) || !window.JSON ||
      !window.crypto || !window.crypto.subtle || !window.TextEncoder) {
    button.hidden = true; say('data-unsupported'); return;
  }
  function key(b64) {
    var s = b64.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var raw = window.atob(s), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function post(url, body) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.setRequestHeader('Content-Type', 'application/json');
      xhr.setRequestHeader('X-CSRF-Token', csrf);
      xhr.onload = function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (xhr.status >= 200 && xhr.status < 300) { resolve(answer); return; }
        // The platform's own words (the field's message) are shown as they are.
        var e = new Error((answer && (answer.errors && answer.errors[0] ? answer.errors[0].message : answer.detail)) || '');
        e.platform = true;
        reject(e);
      };
      xhr.onerror = function () { reject(new Error('')); };
      xhr.send(JSON.stringify(body));
    });
  }
  // Whether the platform still knows this browser: its list tags each browser with the
  // first 16 hex digits of the SHA-256 of its address (the address itself is not shown).
  function listed(endpoint) {
    return window.crypto.subtle.digest('SHA-256', new TextEncoder().encode(endpoint)).then(function (hash) {
      var bytes = new Uint8Array(hash), tag = '';
      for (var i = 0; i < 8; i++) tag += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
      var items = document.querySelectorAll('#push-devices li');
      for (var j = 0; j < items.length; j++) if (items[j].getAttribute('data-tag') === tag) return true;
      return false;
    });
  }
  function again() { window.location.href = '/notifications?n=saved#push'; }
  var registration = null, subscription = null;
  function show() { button.textContent = box.getAttribute(subscription ? 'data-off' : 'data-on'); button.disabled = false; }
  button.disabled = true;
  navigator.serviceWorker.register('/sw.js').then(function (r) {
    registration = r;
    return r.pushManager.getSubscription();
  }).then(function (s) {
    if (!s) { show(); return; }
    return listed(s.endpoint).then(function (known) {
      // Switched off from another device's list, or forgotten after its push service
      // changed the address: this browser lets it go as well (switching on again works).
      if (!known) return s.unsubscribe().then(function () { subscription = null; show(); });
      subscription = s;
      show();
    });
  }).catch(function () { button.hidden = true; say('data-unsupported'); });
  button.addEventListener('click', function () {
    button.disabled = true;
    say('', ' ');
    if (subscription) {
      var endpoint = subscription.endpoint;
      subscription.unsubscribe().then(function () {
        return post('/api/v1/notifications/push/unsubscribe', { endpoint: endpoint }).catch(function () { return null; });
      }).then(again, function () { say('data-off-failed'); show(); });
      return;
    }
    Promise.resolve(Notification.requestPermission()).then(function (permission) {
      if (permission !== 'granted') { var e = new Error(''); e.name = 'NotAllowedError'; throw e; }
      return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(box.getAttribute('data-key')) });
    }).then(function (s) {
      subscription = s;
      return post('/api/v1/notifications/push/subscriptions', s.toJSON());
    }).then(again, function (e) {
      // The browser's own errors are in its language and words: say it in ours.
      if (e && e.platform && e.message) say('', e.message);
      else say(e && e.name === 'NotAllowedError' ? 'data-denied' : 'data-failed');
      if (subscription) subscription.unsubscribe();
      subscription = null;
      show();
    });
  });
})();
