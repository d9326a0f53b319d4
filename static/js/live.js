// Live regions, with htmx 4 (static/vendor/): a wrapper with hx-ws:connect holds the websocket
// (the hx-ws extension reconnects with backoff); each region inside it, marked data-live, re-reads its
// fragment with hx-get when it hears "live:refresh" and morphs it in (hx-swap="innerMorph"), so focus,
// selection, scroll and open <details> survive. A JSON hint, and every reconnect, makes the regions
// re-read the server. HTML pushed over the socket ({"content": rows with hx-swap-oob, "swap": "none"},
// rendered once for every viewer: services/pushes.py) is swapped by the extension itself, each row
// morphing the row of its service where the page shows one.
(function () {
  "use strict";

  // Morphing copies the server's attributes; a <details> stays the way the user left it.
  htmx.registerExtension("live", {
    htmx_before_morph_attr: function (element, detail) {
      return !(detail.attrName === "open" && element.tagName === "DETAILS");
    },
  });

  function regions(connection) {
    return connection.querySelectorAll("[data-live]");
  }

  function refresh(connection) {
    regions(connection).forEach(function (region) {
      htmx.trigger(region, "live:refresh");
    });
  }

  // A small badge says whether the regions are live; its words come from Django's JS catalog.
  function show(connection, state) {
    var badge = connection.querySelector(":scope > .live-badge");
    if (!badge) {
      badge = document.createElement("span");
      badge.setAttribute("role", "status");
      connection.prepend(badge);
    }
    badge.className = "live-badge " + state;
    badge.textContent = state === "connected" ? gettext("Live") : gettext("Reconnecting…");
    regions(connection).forEach(function (region) {
      region.setAttribute("data-live-state", state);
    });
  }

  var leaving = false;
  window.addEventListener("beforeunload", function () {
    leaving = true;
  });
  window.addEventListener("pageshow", function () {
    leaving = false;
  });

  function hintOf(message) {
    // {"kind": ...} is a hint to re-read; anything else (HTML, {"content": ...}) the extension swaps.
    if (typeof message.data !== "string" || message.data.charAt(0) !== "{") {
      return null;
    }
    try {
      var data = JSON.parse(message.data);
      return data.content === undefined ? data : null;
    } catch (error) {
      return null;
    }
  }

  // Forms inside a live region come from a re-read that every viewer shares, so they carry no CSRF
  // token: the page's own (<meta name="csrf-token">, rendered for this viewer) is added on submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (form.method !== "post" || !meta || form.querySelector('[name="csrfmiddlewaretoken"]')) {
      return;
    }
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = meta.content;
    form.appendChild(token);
  });

  document.addEventListener("htmx:ws:after:connection", function (event) {
    var connection = event.target;
    show(connection, "connected");
    if (connection.liveOpened) {
      connection.liveVersion = null; // what changed meanwhile has no version: a render of its own
      refresh(connection); // hints sent while the socket was down are lost: re-read
    } else {
      // A region of something under way (a running job) may have changed between the page's
      // render and this first connect, whose hint nobody heard.
      connection.querySelectorAll("[data-live-reread-on-connect]").forEach(function (region) {
        htmx.trigger(region, "live:refresh");
      });
    }
    connection.liveOpened = true;
  });

  document.addEventListener("htmx:ws:after:message:incoming", function (event) {
    var hint = hintOf(event.detail.message);
    if (hint) {
      // The change's version goes with the re-read: every viewer of it shares one render
      // (live/rereads.py). A re-read queued behind another one carries the latest version.
      event.target.liveVersion = hint.version;
      refresh(event.target);
    }
  });

  document.addEventListener("htmx:config:request", function (event) {
    var region = event.target;
    var connection = region.matches && region.matches("[data-live]") && region.closest("[hx-ws\\:connect]");
    if (!connection) {
      return;
    }
    // A region's own requests are its re-reads, which the page makes by itself: they do not keep
    // an idle session alive (accounts/sessions.py).
    event.detail.ctx.request.headers["X-Live-Reread"] = "1";
    if (connection.liveVersion) {
      event.detail.ctx.request.headers["X-Live-Version"] = String(connection.liveVersion);
    }
  });

  document.addEventListener("htmx:ws:close", function (event) {
    if (event.detail.reason !== "closed") {
      return; // the region left the page
    }
    show(event.target, "reconnecting");
    event.target.liveVersion = null; // a re-read from now on is of no announced change
    if (event.detail.code === 4401 || event.detail.code === 4403) {
      // Logged out, or a role that no longer allows the page (live/consumers.py): a reload reaches
      // the login page or the page's refusal. When this page is already
      // leaving (its own Log out button), the reload waits so as not to cancel that navigation.
      window.setTimeout(function () {
        window.location.reload();
      }, leaving ? 3000 : 0);
      return;
    }
    if (!document.hidden) {
      // A refused socket may mean a logged-out session: the re-read finds out (and redirects).
      refresh(event.target);
    }
  });

  document.addEventListener("htmx:before:response", function (event) {
    var region = event.target;
    if (!region.matches || !region.matches("[data-live]")) {
      return;
    }
    var response = event.detail.ctx.response.raw;
    if (response.redirected) {
      // Logged out (here or in another tab): go where the server sends us, the login page.
      event.preventDefault();
      window.location.assign(response.url);
    } else if (!response.ok) {
      event.preventDefault(); // keep the last good content, and say it may be old
      region.setAttribute("data-live-state", "stale");
    }
  });

  document.addEventListener("htmx:after:swap", function (event) {
    var region = event.target;
    if (region.matches && region.matches("[data-live][data-live-state=stale]")) {
      var connection = region.closest("[hx-ws\\:connect]");
      var badge = connection && connection.querySelector(":scope > .live-badge.connected");
      region.setAttribute("data-live-state", badge ? "connected" : "reconnecting");
    }
  });

  document.addEventListener("htmx:error", function (event) {
    if (event.target.matches && event.target.matches("[data-live]")) {
      event.target.setAttribute("data-live-state", "stale");
    }
  });
})();
