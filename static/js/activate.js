// Activation page: copy the generated credentials, or print the credentials sheet.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var copy = document.getElementById("copy-credentials");
    var print = document.getElementById("print-credentials");
    if (copy) {
      copy.addEventListener("click", function () {
        var text =
          document.getElementById("username").textContent + "\n" + document.getElementById("password").textContent;
        var done = function () {
          copy.textContent = gettext("Copied");
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done);
        } else {
          // Plain-HTTP origins have no clipboard API: fall back to selecting the text.
          var area = document.createElement("textarea");
          area.value = text;
          document.body.appendChild(area);
          area.select();
          document.execCommand("copy");
          area.remove();
          done();
        }
      });
    }
    if (print) {
      print.addEventListener("click", function () {
        window.print();
      });
    }
  });
})();
