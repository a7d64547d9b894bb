//! The sign-in page. Its form carries a token that must match a cookie set with the page
//! (double submit), so another site cannot sign an operator in under its own account.

use crate::layout::{BASE, escape};

/// The sign-in form's body; `error` said above it.
pub fn render(form_token: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    format!(
        "{error}<form method=\"post\" action=\"{BASE}/sign-in\" id=\"sign-in\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
         <p><label>Email<br><input type=\"email\" name=\"email\" autocomplete=\"username\" required autofocus></label></p>\
         <p><label>Password<br><input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label></p>\
         <p><button type=\"submit\">Sign in</button></p></form>\
         <p class=\"muted\">Operators are listed under <code>[console]</code> in ascent.toml \
         (docs/console.md). Approvers deciding from an email link need no account.</p>",
        token = escape(form_token)
    )
}
