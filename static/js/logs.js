// The live logs of a service or a task (templates/logs/page.html). The server sends batches of lines
// over a websocket (logs/consumers.py); each batch is acknowledged once shown or held, which is the
// server's flow control. Log text is whatever a program printed: it only ever enters the page as
// textContent, never as HTML. The words come from Django's JS catalog (gettext), as in live.js.
(function () {
  "use strict";

  var MAX_LINES = 5000; // lines kept in the view; the oldest go first, counted
  var MAX_PENDING = 5000; // lines held while paused; beyond that the oldest are skipped, counted
  var BOTTOM_SLACK = 8; // pixels from the end that still count as "at the end" (rounding, zoom)
  var RETRY_FIRST = 500; // the reconnect backoff of the live regions (base.html's htmx config)
  var RETRY_MAX = 15000;
  var FINAL_CODES = [4404, 4429]; // target gone, too many streams: reconnecting cannot help
  var TIMESTAMPS_KEY = "swarmdeck.logs.timestamps";
  var TASK_HUES = 6; // the task names' colours (app.css), so the tasks of a rolling update tell apart

  function clockFormat() {
    var options = {
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      fractionalSecondDigits: 3,
      hourCycle: "h23",
    };
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, options);
    } catch (error) {
      return new Intl.DateTimeFormat(undefined, options); // a page language the browser does not know
    }
  }

  // An ISO time as a string that sorts by time: the fraction padded to nanoseconds, which Date drops.
  function sortable(at) {
    var match = /^(.*?)(?:\.(\d+))?Z$/.exec(at);
    return match ? match[1] + "." + ((match[2] || "") + "000000000").slice(0, 9) : at;
  }

  function lineKey(line) {
    var text = line.parts.map(function (part) {
      return part[1];
    });
    return line.task_id + "\n" + line.stream + "\n" + text.join("");
  }

  function hueOf(taskId) {
    var hash = 0;
    for (var i = 0; i < taskId.length; i += 1) {
      hash = (hash * 31 + taskId.charCodeAt(i)) % 9973;
    }
    return hash % TASK_HUES;
  }

  function start(root) {
    var view = document.getElementById("logs-view");
    var jump = document.getElementById("logs-live");
    var pauseButton = document.getElementById("logs-pause");
    var filterInput = document.getElementById("logs-filter");
    var filterMessage = document.getElementById("logs-filter-message");
    var timestamps = document.getElementById("logs-timestamps");
    var stateBadge = document.getElementById("logs-state");
    var notice = document.getElementById("logs-notice");
    var endMessage = document.getElementById("logs-end");
    var counts = document.getElementById("logs-counts");
    var clock = clockFormat();

    var matcher = null; // the filter: function (text) -> boolean, or null for every line
    var matching = 0; // lines in the view the filter lets through
    var unseen = 0; // lines that arrived while the reader was scrolled up
    var removed = 0; // lines taken out of the view to keep it bounded
    var droppedEarlier = 0; // the server's drops on the sockets before this one
    var droppedNow = 0; // ... and on this one (its running total)
    var paused = false;
    var pending = [];
    var skipped = 0; // held lines that did not fit while paused
    var lastAt = null; // the newest line's time and the lines at that time, to resume after it
    var lastKeys = new Set();
    var resume = null; // while catching up after a reconnect: {at, keys} of what was already shown
    var ended = false;
    var leaving = false;
    var retryDelay = RETRY_FIRST;

    function atBottom() {
      return view.scrollHeight - view.scrollTop - view.clientHeight <= BOTTOM_SLACK;
    }

    function toBottom() {
      view.scrollTop = view.scrollHeight;
    }

    // --- lines ---------------------------------------------------------------------------------

    function lineElement(line) {
      var row = document.createElement("div");
      row.className = "log-line " + (line.stream === "stderr" ? "stderr" : "stdout");
      // The time and its space in one element, so hiding the times (the toggle) leaves no indent.
      var at = document.createElement("span");
      at.className = "log-at";
      if (line.at) {
        var time = document.createElement("time");
        time.dateTime = line.at;
        time.title = line.at;
        time.textContent = clock.format(new Date(line.at));
        at.append(time, " ");
      }
      var task = document.createElement("span");
      task.className = "log-task task-hue-" + hueOf(line.task_id || line.task);
      task.textContent = line.task;
      task.title = interpolate(
        gettext("Task %(task)s on node %(node)s"),
        { task: line.task_id, node: line.node },
        true
      );
      var text = document.createElement("span");
      text.className = "log-text";
      var plain = "";
      line.parts.forEach(function (part) {
        var span = document.createElement("span");
        if (/^[a-z0-9 -]+$/.test(part[0])) {
          span.className = part[0]; // the server's ANSI classes (ansi-fg-1 ansi-bold ...)
        }
        span.textContent = part[1];
        text.appendChild(span);
        plain += part[1];
      });
      row.append(at, task, " ", text);
      row.logLine = line;
      row.logText = plain;
      return row;
    }

    function passes(row) {
      return matcher === null || matcher(row.logText);
    }

    function trim(following) {
      var excess = view.childElementCount - MAX_LINES;
      if (excess <= 0) {
        return;
      }
      var height = view.scrollHeight;
      for (var i = 0; i < excess; i += 1) {
        var row = view.firstElementChild;
        if (!row.hidden) {
          matching -= 1;
        }
        row.remove();
      }
      removed += excess;
      if (!following) {
        view.scrollTop -= height - view.scrollHeight; // what the reader is reading stays in place
      }
    }

    // A reader at the end follows the new lines; one scrolled up stays exactly where they are.
    function show(lines) {
      if (!lines.length) {
        return;
      }
      var following = atBottom();
      var fragment = document.createDocumentFragment();
      var shown = 0;
      lines.forEach(function (line) {
        var row = lineElement(line);
        if (passes(row)) {
          shown += 1;
        } else {
          row.hidden = true;
        }
        fragment.appendChild(row);
      });
      view.appendChild(fragment);
      matching += shown;
      trim(following);
      if (following) {
        toBottom();
      } else {
        unseen += shown;
      }
      showJump();
    }

    function hold(lines) {
      pending.push.apply(pending, lines);
      var excess = pending.length - MAX_PENDING;
      if (excess > 0) {
        pending.splice(0, excess);
        skipped += excess;
      }
    }

    function remember(line) {
      if (!line.at) {
        return;
      }
      var at = sortable(line.at);
      if (lastAt === null || at > lastAt.sortable) {
        lastAt = { iso: line.at, sortable: at };
        lastKeys = new Set([lineKey(line)]);
      } else if (at === lastAt.sortable) {
        lastKeys.add(lineKey(line));
      }
    }

    // After a reconnect the server starts again at the last line's time: what was shown is skipped.
    function fresh(lines) {
      if (resume === null) {
        return lines;
      }
      return lines.filter(function (line) {
        if (resume === null || !line.at) {
          return true;
        }
        var at = sortable(line.at);
        if (at > resume.at) {
          resume = null;
          return true;
        }
        return at === resume.at && !resume.keys.has(lineKey(line));
      });
    }

    // --- what the page says --------------------------------------------------------------------

    function showJump() {
      var away = !atBottom();
      if (!away) {
        unseen = 0;
      }
      jump.hidden = !away;
      jump.textContent = unseen
        ? interpolate(ngettext("Jump to live (%s new line)", "Jump to live (%s new lines)", unseen), [unseen])
        : gettext("Jump to live");
    }

    function showCounts() {
      var total = view.childElementCount;
      var said = [
        matcher === null
          ? interpolate(ngettext("%s line", "%s lines", total), [total])
          : interpolate(
              ngettext("%(shown)s of %(total)s line shown", "%(shown)s of %(total)s lines shown", total),
              { shown: matching, total: total },
              true
            ),
      ];
      if (removed) {
        said.push(
          interpolate(ngettext("%s older line removed from view", "%s older lines removed from view", removed), [
            removed,
          ])
        );
      }
      var dropped = droppedEarlier + droppedNow;
      if (dropped) {
        said.push(
          interpolate(
            ngettext(
              "%s line was dropped because the page could not keep up",
              "%s lines were dropped because the page could not keep up",
              dropped
            ),
            [dropped]
          )
        );
      }
      if (paused) {
        said.push(
          interpolate(ngettext("Paused: %s new line waiting", "Paused: %s new lines waiting", pending.length), [
            pending.length,
          ])
        );
      }
      if (skipped) {
        said.push(
          interpolate(ngettext("%s line skipped while paused", "%s lines skipped while paused", skipped), [skipped])
        );
      }
      counts.textContent = said.join(" · ");
    }

    function showState(state) {
      var words = {
        connecting: gettext("Connecting…"),
        connected: gettext("Live"),
        reconnecting: gettext("Reconnecting…"),
        ended: gettext("Ended"),
      };
      stateBadge.className = "live-badge " + state;
      stateBadge.textContent = words[state];
      root.setAttribute("data-state", state);
    }

    // --- the socket ----------------------------------------------------------------------------

    function socketUrl() {
      var params = new URLSearchParams();
      if (document.documentElement.lang) {
        params.set("lang", document.documentElement.lang); // the notices in the page's language
      }
      if (lastAt) {
        params.set("since", lastAt.iso);
        params.set("tail", root.dataset.tailMax);
      } else {
        params.set("tail", root.dataset.tail);
        if (root.dataset.since) {
          params.set("since", root.dataset.since);
        }
      }
      var path = root.dataset.wsUrl;
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      return scheme + window.location.host + path + (path.indexOf("?") < 0 ? "?" : "&") + params.toString();
    }

    function receive(socket, message) {
      if (message.kind === "lines") {
        var lines = fresh(message.lines);
        lines.forEach(remember);
        if (paused) {
          hold(lines);
        } else {
          show(lines);
        }
        droppedNow = message.dropped || 0;
        socket.send(JSON.stringify({ ack: message.seq }));
        showCounts();
      } else if (message.kind === "notice") {
        notice.textContent = message.text;
      } else if (message.kind === "end") {
        ended = true;
        endMessage.textContent = message.text;
      }
    }

    function connect() {
      if (lastAt) {
        resume = { at: lastAt.sortable, keys: new Set(lastKeys) };
      }
      var socket = new WebSocket(socketUrl());
      socket.addEventListener("open", function () {
        retryDelay = RETRY_FIRST;
        notice.textContent = "";
        showState("connected");
      });
      socket.addEventListener("message", function (event) {
        var message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return; // not one of ours
        }
        receive(socket, message);
      });
      socket.addEventListener("close", function (event) {
        droppedEarlier += droppedNow;
        droppedNow = 0;
        if (ended || FINAL_CODES.indexOf(event.code) >= 0) {
          if (!endMessage.textContent) {
            endMessage.textContent = gettext("The log stream ended.");
          }
          showState("ended");
          return;
        }
        if (event.code === 4401) {
          // Logged out (as the live regions): a reload reaches the login page. When the page is
          // leaving already (its own Log out button), the reload waits so as not to cancel that.
          window.setTimeout(function () {
            window.location.reload();
          }, leaving ? 3000 : 0);
          return;
        }
        showState("reconnecting");
        window.setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, RETRY_MAX);
      });
    }

    // --- the controls --------------------------------------------------------------------------

    function readFilter() {
      var value = filterInput.value;
      filterMessage.textContent = "";
      if (!value) {
        matcher = null;
        return;
      }
      var regex = /^\/(.+)\/$/.exec(value);
      if (regex) {
        try {
          var expression = new RegExp(regex[1], "i");
          matcher = function (text) {
            return expression.test(text);
          };
          return;
        } catch (error) {
          filterMessage.textContent = gettext(
            "This is not a valid regular expression: the lines are filtered by the text as typed."
          );
        }
      }
      var needle = value.toLowerCase();
      matcher = function (text) {
        return text.toLowerCase().indexOf(needle) >= 0;
      };
    }

    // A change of what is shown keeps a reader at the end there.
    function reshape(change) {
      var following = atBottom();
      change();
      if (following) {
        toBottom();
      }
      showJump();
      showCounts();
    }

    filterInput.addEventListener("input", function () {
      reshape(function () {
        readFilter();
        matching = 0;
        Array.prototype.forEach.call(view.children, function (row) {
          row.hidden = !passes(row);
          if (!row.hidden) {
            matching += 1;
          }
        });
        unseen = 0;
      });
    });

    function storedTimestamps() {
      try {
        return window.localStorage.getItem(TIMESTAMPS_KEY) !== "0";
      } catch (error) {
        return true; // storage refused (private mode): the default
      }
    }

    function applyTimestamps() {
      view.classList.toggle("no-timestamps", !timestamps.checked);
    }

    timestamps.checked = storedTimestamps();
    applyTimestamps();
    timestamps.addEventListener("change", function () {
      try {
        window.localStorage.setItem(TIMESTAMPS_KEY, timestamps.checked ? "1" : "0");
      } catch (error) {
        // not remembered: the choice still holds on this page
      }
      reshape(applyTimestamps);
    });

    pauseButton.addEventListener("click", function () {
      paused = !paused;
      pauseButton.textContent = paused ? gettext("Resume") : gettext("Pause");
      if (!paused) {
        var held = pending;
        pending = [];
        show(held);
      }
      showCounts();
    });

    jump.addEventListener("click", function () {
      toBottom();
      showJump();
      view.focus(); // the button hides itself: keep the keyboard in the log
    });

    view.addEventListener("scroll", showJump, { passive: true });

    document.getElementById("logs-download-shown").addEventListener("click", function () {
      var text = "";
      Array.prototype.forEach.call(view.children, function (row) {
        if (!row.hidden) {
          var line = row.logLine;
          text += [line.at || "-", line.task, line.stream, row.logText].join(" ") + "\n";
        }
      });
      // The same name and line format as the server's range download.
      var stamp = new Date().toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
      link.download = root.dataset.name + "-" + stamp + ".log";
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.setTimeout(function () {
        URL.revokeObjectURL(link.href);
      }, 60000);
    });

    window.addEventListener("beforeunload", function () {
      leaving = true;
    });
    window.addEventListener("pageshow", function () {
      leaving = false;
    });

    showState("connecting");
    showJump();
    showCounts();
    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("logs");
    if (root) {
      start(root);
    }
  });
})();
