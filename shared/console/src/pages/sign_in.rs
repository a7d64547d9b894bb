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
         <p class=\"muted\">An admin adds operators (docs/console.md). Approvers deciding from an \
         email link need no account.</p>",
        token = escape(form_token)
    )
}

/// The second step, when the operators' directory asks for the one-time code of the
/// operator's authenticator app: the code with the directory's session for it.
pub fn render_code(form_token: &str, email: &str, session: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    format!(
        "{error}<form method=\"post\" action=\"{BASE}/sign-in/code\" id=\"sign-in-code\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
         <input type=\"hidden\" name=\"email\" value=\"{email}\">\
         <input type=\"hidden\" name=\"session\" value=\"{session}\">\
         <p><label>The code your authenticator app shows for {email}<br>\
         <input type=\"text\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
         pattern=\"[0-9]{{6}}\" required autofocus></label></p>\
         <p><button type=\"submit\">Sign in</button></p></form>",
        token = escape(form_token),
        email = escape(email),
        session = escape(session)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_step_carries_its_token_address_and_session_escaped() {
        let page = render_code("t0k", "ana@x.example", "s\"<1>", Some("wrong code"));
        assert!(page.contains("action=\"/console/sign-in/code\""), "{page}");
        assert!(page.contains("name=\"csrf\" value=\"t0k\""));
        assert!(page.contains("name=\"email\" value=\"ana@x.example\""));
        assert!(page.contains("value=\"s&quot;&lt;1&gt;\""), "{page}");
        assert!(page.contains("wrong code"));
    }
}
