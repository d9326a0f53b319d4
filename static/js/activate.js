// Activation page: copy the generated credentials, or print the credentials sheet.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var copy = document.getElementById("copy-credentials");
    var print = document.getElementById("print-credentials");
    var name = document.getElementById("id_username");
    var printedName = document.getElementById("username");
    if (name && printedName) {
      // The user name may be changed before activating: copy and print the one chosen.
      name.addEventListener("input", function () {
        printedName.textContent = name.value;
      });
    }
    if (copy) {
      copy.addEventListener("click", function () {
        var text = printedName.textContent + "\n" + document.getElementById("password").textContent;
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
