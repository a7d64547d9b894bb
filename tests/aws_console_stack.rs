//! The console's Cognito user pool on moto (issue 27): `ascent aws local-stack` creates what
//! the template declares (one pool signing in by email, its client without a secret for
//! `USER_PASSWORD_AUTH`, the viewer, approver and admin groups); a second run reuses them and
//! creates nothing; the console function's environment names the pool and client it made.

#[path = "support/moto.rs"]
mod moto;

use ascent::aws::{LocalStack, Outcome};
use aws_sdk_cognitoidentityprovider::types::{ExplicitAuthFlowsType, UsernameAttributeType};
use moto::Moto;

const STAGE: &str = "cognito";

fn stack(moto: &Moto) -> LocalStack {
    LocalStack::new(
        ascent::infra::template(&ascent::agents::declarations()),
        STAGE,
        "us-east-1",
        &moto.url,
    )
}

fn noted(stack: &LocalStack, kind: &str, outcome: Outcome) -> Vec<String> {
    stack
        .report
        .iter()
        .filter(|r| r.0 == kind && r.2 == outcome)
        .map(|r| r.1.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_pool_its_client_and_groups_are_created_once() {
    let moto = Moto::start();
    let config = moto.config().await;
    let mut first = stack(&moto);
    first.create(&config, "").await.unwrap();
    let pool_name = format!("ascent-{STAGE}-console");
    assert_eq!(
        noted(&first, "user pool", Outcome::Created),
        std::slice::from_ref(&pool_name)
    );
    assert_eq!(
        noted(&first, "user pool client", Outcome::Created),
        std::slice::from_ref(&pool_name)
    );
    let mut groups = noted(&first, "user pool group", Outcome::Created);
    groups.sort();
    assert_eq!(groups, ["admin", "approver", "viewer"]);

    let mut second = stack(&moto);
    second.create(&config, "").await.unwrap();
    for kind in ["user pool", "user pool client", "user pool group"] {
        assert!(noted(&second, kind, Outcome::Created).is_empty(), "{kind}");
    }
    assert_eq!(
        noted(&second, "user pool", Outcome::Existed),
        std::slice::from_ref(&pool_name)
    );
    assert_eq!(noted(&second, "user pool group", Outcome::Existed).len(), 3);
    assert_eq!(second.cognito, first.cognito);

    // On the endpoint: one pool of that name, one client in it, three groups.
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&config);
    let pools: Vec<_> = idp
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .unwrap()
        .user_pools
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.name.as_deref() == Some(pool_name.as_str()))
        .collect();
    assert_eq!(pools.len(), 1);
    let pool_id = pools[0].id.clone().unwrap();
    let pool = idp
        .describe_user_pool()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap();
    assert_eq!(pool.username_attributes(), [UsernameAttributeType::Email]);
    assert!(
        pool.admin_create_user_config
            .as_ref()
            .is_some_and(|c| c.allow_admin_create_user_only)
    );
    let clients = idp
        .list_user_pool_clients()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap()
        .user_pool_clients
        .unwrap_or_default();
    assert_eq!(clients.len(), 1);
    let client_id = clients[0].client_id.clone().unwrap();
    let client = idp
        .describe_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(&client_id)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    assert!(client.client_secret.is_none(), "the client has no secret");
    assert_eq!(
        client.explicit_auth_flows(),
        [
            ExplicitAuthFlowsType::AllowUserPasswordAuth,
            ExplicitAuthFlowsType::AllowRefreshTokenAuth
        ]
    );
    let mut names: Vec<(String, i32)> = idp
        .list_groups()
        .user_pool_id(&pool_id)
        .send()
        .await
        .unwrap()
        .groups
        .unwrap_or_default()
        .into_iter()
        .map(|g| (g.group_name.unwrap(), g.precedence.unwrap_or_default()))
        .collect();
    names.sort_by_key(|g| g.1);
    assert_eq!(
        names,
        [
            ("admin".to_string(), 1),
            ("approver".to_string(), 2),
            ("viewer".to_string(), 3)
        ]
    );

    // The console function is told the pool and client just made.
    let env = second.environment("OperatorConsoleFunction").unwrap();
    let value = |k: &str| env.iter().find(|e| e.0 == k).map(|e| e.1.clone());
    assert_eq!(value("ASCENT_CONSOLE_USER_POOL_ID"), Some(pool_id));
    assert_eq!(value("ASCENT_CONSOLE_CLIENT_ID"), Some(client_id));
}
