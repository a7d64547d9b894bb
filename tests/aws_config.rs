//! The configuration on AWS, against moto: `ascent.toml` deployed as one SSM parameter per
//! section (as `ascent infra` does) or as one parameter, read the way a Lambda reads it at a
//! cold start, then each agent built from the sections it needs. A changed setting takes
//! effect with no rebuild; a wrong one stops the start with its key.

#[path = "support/moto.rs"]
mod moto;

use ascent_aws::settings::{SettingsError, Source, load_from};
use ascent_core::config::platform::HostSettings;
use ascent_core::config::{ConfigFile, SHIPPED};
use aws_sdk_ssm::types::ParameterType;
use moto::Moto;

/// Puts `text` under `path` the way the template deploys it: one parameter per section.
async fn deploy(ssm: &aws_sdk_ssm::Client, path: &str, text: &str) {
    let file = ConfigFile::parse("deployed.toml", text).unwrap();
    for (section, part) in file.sections().unwrap() {
        ssm.put_parameter()
            .name(format!("{path}{section}"))
            .value(part)
            .r#type(ParameterType::String)
            .overwrite(true)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_lambda_reads_its_settings_from_ssm_and_a_change_needs_no_rebuild() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let ssm = aws_sdk_ssm::Client::new(&sdk);
    let path = "/ascent/test/config/";
    deploy(&ssm, path, SHIPPED).await;
    let file = load_from(&sdk, Source::Parameter(path.into()))
        .await
        .unwrap();
    let closing = closing::ClosingConfig::from_file(&file).unwrap();
    assert_eq!(closing.discount_threshold_pct, 15.0);
    assert_eq!(
        billing::BillingConfig::from_file(&file)
            .unwrap()
            .dunning
            .reminder_days,
        [3, 10, 20]
    );

    // The operator changes two settings; the next cold start has them.
    let changed = SHIPPED
        .replacen(
            "discount_threshold_pct = 15.0",
            "discount_threshold_pct = 10.0",
            1,
        )
        .replacen(
            "from = \"agents@ascent-xr.example\"",
            "from = \"ops@ascent-xr.example\"",
            1,
        );
    deploy(&ssm, path, &changed).await;
    let file = load_from(&sdk, Source::Parameter(path.into()))
        .await
        .unwrap();
    assert!(file.origin().contains(path));
    assert_eq!(
        closing::Closing::from_config(&file).map(|_| ()),
        Ok(()),
        "the agent builds"
    );
    assert_eq!(
        closing::ClosingConfig::from_file(&file)
            .unwrap()
            .discount_threshold_pct,
        10.0
    );
    let host = HostSettings::from_file(&file).unwrap();
    assert_eq!(host.mail.from, "ops@ascent-xr.example");
    assert_eq!(host.policy().step_timeout_hours, 48);

    // One parameter holding a whole (here a small) file works too.
    let small: String = ConfigFile::parse("changed.toml", changed.clone())
        .unwrap()
        .sections()
        .unwrap()
        .into_iter()
        .filter(|(k, _)| ["company", "mail", "approvals", "currency"].contains(&k.as_str()))
        .map(|(_, text)| text)
        .collect();
    ssm.put_parameter()
        .name("/ascent/test/whole")
        .value(small)
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    let whole = load_from(&sdk, Source::Parameter("/ascent/test/whole".into()))
        .await
        .unwrap();
    assert_eq!(whole.origin(), "SSM parameter /ascent/test/whole");
    assert!(whole.has("company"));
    assert_eq!(
        HostSettings::from_file(&whole).unwrap().mail.from,
        "ops@ascent-xr.example"
    );
}

#[tokio::test]
async fn a_wrong_setting_in_ssm_stops_the_start_with_its_key() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let ssm = aws_sdk_ssm::Client::new(&sdk);
    let path = "/ascent/bad/config/";
    deploy(
        &ssm,
        path,
        &SHIPPED.replacen("escalation_day = 30", "escalation_day = -30", 1),
    )
    .await;
    let file = load_from(&sdk, Source::Parameter(path.into()))
        .await
        .unwrap();
    let e = billing::Billing::from_config(&file)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.path, "billing.dunning.escalation_day");
    assert!(e.line.is_some());
    assert!(
        e.to_string().contains("SSM parameters /ascent/bad/config/"),
        "{e}"
    );
    // Other agents do not read [billing] and start.
    assert!(closing::Closing::from_config(&file).is_ok());

    // Nothing deployed: the start stops, naming the path.
    let e = load_from(&sdk, Source::Parameter("/ascent/none/config/".into()))
        .await
        .unwrap_err();
    assert!(matches!(e, SettingsError::Empty(_)), "{e}");
}
