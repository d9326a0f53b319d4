// Live regions: an element with data-live-ws listens on that websocket; every message is a hint
// that its content changed, so the element re-reads its fragment from data-live-url (the server
// renders HTML; pushes are never trusted as state). After a reconnect it re-syncs the same way.
(function () {
  "use strict";

  function liveRegion(element) {
    var wsPath = element.getAttribute("data-live-ws");
    var url = element.getAttribute("data-live-url");
    var timer = null;
    var retry = 500;
    var opened = false;
    // A small badge says whether the region is live; its words come from Django's JS catalog.
    var badge = document.createElement("span");
    badge.className = "live-badge";
    badge.setAttribute("role", "status");
    element.parentNode.insertBefore(badge, element);

    function showState(state) {
      element.setAttribute("data-live-state", state);
      badge.className = "live-badge " + state;
      badge.textContent = state === "connected" ? gettext("Live") : gettext("Reconnecting…");
    }

    function editing() {
      var active = document.activeElement;
      return active && active !== document.body && element.contains(active) && active.tagName === "INPUT";
    }

    function refresh() {
      timer = null;
      if (editing()) {
        // Do not replace a field the user is typing in; refresh when they leave it.
        document.activeElement.addEventListener("blur", schedule, { once: true });
        return;
      }
      fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (response) {
          if (response.redirected) {
            // Logged out (here or in another tab): go where the server sends us, the login page.
            window.location.assign(response.url);
            throw new Error("redirected");
          }
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.text();
        })
        .then(function (html) {
          element.innerHTML = html;
          element.dispatchEvent(new CustomEvent("live:refreshed", { bubbles: true }));
        })
        .catch(function () {
          showState("stale");
        });
    }

    // Events come in bursts (one scale = several task events); one re-read covers them all.
    function schedule() {
      if (timer === null) {
        timer = window.setTimeout(refresh, 150);
      }
    }

    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + window.location.host + wsPath);
      socket.onopen = function () {
        retry = 500;
        showState("connected");
        if (opened) {
          schedule();
        }
        opened = true;
      };
      socket.onmessage = schedule;
      socket.onclose = function (event) {
        showState("reconnecting");
        // A refused or closed socket may mean a logged-out session: the re-read finds out.
        schedule();
        if (event.code === 4401) {
          return; // logged out: the re-read leads to the login page
        }
        window.setTimeout(connect, retry);
        retry = Math.min(retry * 2, 15000);
      };
    }

    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-ws]").forEach(liveRegion);
  });
})();
