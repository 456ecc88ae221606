// Parta's service worker: shows the pushes the platform sends (title, text, the page to
// open) and opens that page when the notification is clicked. It caches nothing.
'use strict';
self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener('push', function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var options = {
    body: data.body || '',
    icon: '/static/favicon.svg',
    data: { url: data.url || '/notifications' }
  };
  // One notification once: the same one pushed again replaces itself.
  if (data.tag) options.tag = data.tag;
  event.waitUntil(self.registration.showNotification(data.title || 'Парта', options));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || '/notifications';
  // Only the platform's own pages.
  var target;
  try { target = new URL(url, self.location.origin); } catch (e) { target = null; }
  if (!target || target.origin !== self.location.origin) target = new URL('/notifications', self.location.origin);
  var href = target.href;
  // A tab already on that page comes forward; otherwise a new one opens (a tab with
  // half-written work is never navigated away).
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].url === href && 'focus' in list[i]) return list[i].focus();
    }
    return self.clients.openWindow(href);
  }).catch(function () { return self.clients.openWindow(href); }));
});
