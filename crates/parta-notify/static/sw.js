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
  if (url.charAt(0) !== '/' || url.charAt(1) === '/' || url.charAt(1) === '\\') url = '/notifications';
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      var c = list[i];
      if (c.url.indexOf(self.location.origin + '/') === 0 && 'focus' in c) {
        return (c.navigate ? c.navigate(url) : Promise.resolve(c)).then(function (w) { return (w || c).focus(); });
      }
    }
    return self.clients.openWindow(url);
  }));
});
