//! The console's operators on AWS: the stack's Cognito user pool (`ConsoleUserPool`), where
//! admins add, reset and disable operators as AWS accounts are managed, and an operator may
//! turn on an authenticator app (TOTP). The console's own sign-in form asks Cognito
//! (`InitiateAuth` with `USER_PASSWORD_AUTH` on the pool's app client, which has no secret),
//! answers its one-time-code challenge (`RespondToAuthChallenge`), and takes the role from the
//! ID token's `cognito:groups` (`viewer`, `approver`, `admin`; the highest wins). The token
//! comes straight from Cognito's API over TLS, so its claims are read, not re-verified; the
//! console keeps its own session (DynamoDB), lockout and audit records.

use ascent_console::sign_in::{Authenticator, SignInError, Verdict};
use ascent_console::{Operator, Role};
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ChallengeNameType,
};
use base64::Engine;

/// The user pool's app client.
pub struct CognitoOperators {
    pub client: aws_sdk_cognitoidentityprovider::Client,
    pub client_id: String,
}

/// The console role a group names.
fn role_of(group: &str) -> Option<Role> {
    match group {
        "viewer" => Some(Role::Viewer),
        "approver" => Some(Role::Approver),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}

/// The operator an ID token names (`email`, else the address signed in with), with the
/// highest role of its `cognito:groups`; refused when in none of the console's groups.
pub fn operator_of(id_token: &str, signed_in_as: &str) -> Result<Operator, SignInError> {
    let payload = id_token
        .split('.')
        .nth(1)
        .ok_or_else(|| SignInError::Unavailable("Cognito's ID token is no JWT".into()))?;
    let claims: serde_json::Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| SignInError::Unavailable("Cognito's ID token does not read".into()))?;
    let email = claims["email"]
        .as_str()
        .unwrap_or(signed_in_as)
        .trim()
        .to_ascii_lowercase();
    let role = claims["cognito:groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str().and_then(role_of))
        .max()
        .ok_or_else(|| {
            SignInError::Refused(format!(
                "{email} is in none of the console's groups (viewer, approver, admin): an admin \
                 adds them to one"
            ))
        })?;
    Ok(Operator { email, role })
}

/// What Cognito answered, as the console's verdict.
fn verdict(
    email: &str,
    challenge: Option<&ChallengeNameType>,
    session: Option<&str>,
    result: Option<&AuthenticationResultType>,
) -> Result<Verdict, SignInError> {
    match (challenge, result.and_then(|r| r.id_token())) {
        (Some(ChallengeNameType::SoftwareTokenMfa), _) => Ok(Verdict::CodeNeeded {
            session: session.unwrap_or_default().to_string(),
        }),
        (Some(ChallengeNameType::NewPasswordRequired), _) => Err(SignInError::Refused(format!(
            "{email} still has a temporary password: an admin sets a permanent one \
             (docs/console.md, On AWS)"
        ))),
        (Some(other), _) => Err(SignInError::Refused(format!(
            "Cognito asks {email} for {}, which the console does not take: an admin can \
             change it (docs/console.md, On AWS)",
            other.as_str()
        ))),
        (None, Some(id_token)) => operator_of(id_token, email).map(Verdict::SignedIn),
        (None, None) => Err(SignInError::Unavailable(
            "Cognito answered with neither a challenge nor tokens".into(),
        )),
    }
}

/// Whether a Cognito error means the address, password or code was not right.
fn is_bad_credentials(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "NotAuthorizedException"
                | "UserNotFoundException"
                | "CodeMismatchException"
                | "ExpiredCodeException"
                | "UserNotConfirmedException"
        )
    )
}

fn refusal<E>(e: aws_sdk_cognitoidentityprovider::error::SdkError<E>) -> SignInError
where
    E: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
    match e.code() {
        code if is_bad_credentials(code) => SignInError::BadCredentials,
        Some("PasswordResetRequiredException") => SignInError::Refused(
            "this operator's password was reset: set a new one (docs/console.md, On AWS)".into(),
        ),
        _ => SignInError::Unavailable(
            aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e).to_string(),
        ),
    }
}

#[async_trait::async_trait]
impl Authenticator for CognitoOperators {
    async fn authenticate(&self, email: &str, password: &str) -> Result<Verdict, SignInError> {
        let email = email.trim();
        let out = self
            .client
            .initiate_auth()
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .client_id(&self.client_id)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(refusal)?;
        verdict(
            email,
            out.challenge_name(),
            out.session(),
            out.authentication_result(),
        )
    }

    async fn answer_code(
        &self,
        email: &str,
        session: &str,
        code: &str,
    ) -> Result<Verdict, SignInError> {
        let email = email.trim();
        let out = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(ChallengeNameType::SoftwareTokenMfa)
            .session(session)
            .challenge_responses("USERNAME", email)
            .challenge_responses("SOFTWARE_TOKEN_MFA_CODE", code)
            .send()
            .await
            .map_err(refusal)?;
        verdict(
            email,
            out.challenge_name(),
            out.session(),
            out.authentication_result(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: serde_json::Value) -> String {
        let b = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.sig",
            b(br#"{"alg":"RS256"}"#),
            b(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn the_highest_console_group_is_the_role_and_none_is_refused() {
        let op = operator_of(
            &token(serde_json::json!({"email": "Ana@X.example",
                "cognito:groups": ["viewer", "admin", "finance"]})),
            "ana@x.example",
        )
        .unwrap();
        assert_eq!((op.email.as_str(), op.role), ("ana@x.example", Role::Admin));
        let op = operator_of(
            &token(serde_json::json!({"cognito:groups": ["approver"]})),
            "bo@x.example",
        )
        .unwrap();
        assert_eq!(
            (op.email.as_str(), op.role),
            ("bo@x.example", Role::Approver)
        );
        let none = operator_of(
            &token(serde_json::json!({"email": "cy@x.example", "cognito:groups": ["finance"]})),
            "cy@x.example",
        );
        assert!(
            matches!(none, Err(SignInError::Refused(why)) if why.contains("none of the console's groups"))
        );
        assert!(matches!(
            operator_of("not-a-jwt", "x@x.example"),
            Err(SignInError::Unavailable(_))
        ));
    }

    #[test]
    fn a_code_challenge_asks_for_the_code_and_a_temporary_password_is_refused() {
        assert_eq!(
            verdict(
                "ana@x.example",
                Some(&ChallengeNameType::SoftwareTokenMfa),
                Some("s1"),
                None
            ),
            Ok(Verdict::CodeNeeded {
                session: "s1".into()
            })
        );
        assert!(matches!(
            verdict(
                "ana@x.example",
                Some(&ChallengeNameType::NewPasswordRequired),
                Some("s1"),
                None
            ),
            Err(SignInError::Refused(why)) if why.contains("temporary password")
        ));
        assert!(is_bad_credentials(Some("NotAuthorizedException")));
        assert!(is_bad_credentials(Some("CodeMismatchException")));
        assert!(!is_bad_credentials(Some("TooManyRequestsException")));
    }
}
