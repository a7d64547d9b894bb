//! The text-writer port on Amazon Bedrock (Converse API). Chosen by a setting:
//! `ASCENT_TEXT_WRITER=bedrock` (default `template`), model `ASCENT_BEDROCK_MODEL_ID`.
//! The client is built on the first message, not at init. The model is told whose messages it
//! writes (`[company] name` and `pitch`, [`system_prompt`]) and rewrites the filled template
//! for the person from the brief's facts only; an answer without a subject, empty or too long
//! is refused (the caller then sends the template's text).

use ascent_core::config::ConfigFile;
use ascent_core::config::platform::Company;
use ascent_core::writer::{Brief, Draft, TemplateWriter, TextWriter, WriterError, fill};
use async_trait::async_trait;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, SystemContentBlock,
};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Default model when `ASCENT_BEDROCK_MODEL_ID` is not set.
pub const DEFAULT_MODEL: &str = "amazon.nova-lite-v1:0";
/// Longest body accepted from the model.
pub const MAX_BODY_CHARS: usize = 2_000;

/// The model's instructions: whose messages it writes (`[company] name`, `pitch`) and how.
pub fn system_prompt(company: &Company) -> String {
    format!(
        "You write short, plain-text B2B messages for {}, {}. Use only the facts and the draft \
         you are given: never invent numbers, customers, prices or claims. No links, no \
         signature block beyond the sender's name, no footer (one is added after you). Answer \
         exactly in this form:\nSubject: <one line>\n\n<body>",
        company.name.trim(),
        company.pitch.trim().trim_end_matches('.'),
    )
}

/// The shipped `[company]` (`ascent.toml` at the repository root).
fn shipped_company() -> Company {
    ConfigFile::shipped()
        .section("company")
        .expect("the shipped [company] is valid")
}

/// Writes with a Bedrock model through the Converse API.
pub struct BedrockWriter {
    client: OnceCell<aws_sdk_bedrockruntime::Client>,
    config: Option<aws_config::SdkConfig>,
    model_id: String,
    system: String,
}

impl BedrockWriter {
    /// A writer whose client is built from the environment on first use, for the shipped
    /// company ([`for_company`](Self::for_company) names another).
    pub fn lazy(model_id: impl Into<String>) -> Self {
        Self {
            client: OnceCell::new(),
            config: None,
            model_id: model_id.into(),
            system: system_prompt(&shipped_company()),
        }
    }

    /// A writer on a given configuration (tests, emulators), for the shipped company.
    pub fn with_config(config: aws_config::SdkConfig, model_id: impl Into<String>) -> Self {
        Self {
            config: Some(config),
            ..Self::lazy(model_id)
        }
    }

    /// The same writer writing for `company`.
    pub fn for_company(mut self, company: &Company) -> Self {
        self.system = system_prompt(company);
        self
    }

    /// The instructions the model gets.
    pub fn system(&self) -> &str {
        &self.system
    }

    async fn client(&self) -> &aws_sdk_bedrockruntime::Client {
        self.client
            .get_or_init(|| async {
                let config = match &self.config {
                    Some(c) => c.clone(),
                    None => {
                        aws_config::defaults(crate::lambda::behavior_version())
                            .load()
                            .await
                    }
                };
                aws_sdk_bedrockruntime::Client::new(&config)
            })
            .await
    }

    /// What the model is asked.
    pub fn prompt(brief: &Brief) -> Result<String, WriterError> {
        let facts: String = brief
            .facts
            .iter()
            .map(|(k, v)| format!("- {k}: {v}\n"))
            .collect();
        Ok(format!(
            "Purpose: {}\nFacts:\n{facts}\nDraft subject: {}\nDraft body:\n{}\n\n\
             Rewrite the draft for this person: same intent and facts, at most 120 words.",
            brief.purpose,
            fill(&brief.subject_template, &brief.facts)?,
            fill(&brief.body_template, &brief.facts)?,
        ))
    }

    /// Splits the model's answer into subject and body, refusing unusable answers.
    pub fn parse_answer(answer: &str) -> Result<(String, String), WriterError> {
        let answer = answer.trim();
        let Some(rest) = answer.strip_prefix("Subject:") else {
            return Err(WriterError::Refused(
                "the answer does not start with `Subject:`".into(),
            ));
        };
        let (subject, body) = rest.split_once('\n').unwrap_or((rest, ""));
        let (subject, body) = (subject.trim(), body.trim());
        if subject.is_empty() || body.is_empty() {
            return Err(WriterError::Refused("empty subject or body".into()));
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(WriterError::Refused(format!(
                "body of {} characters is longer than {MAX_BODY_CHARS}",
                body.chars().count()
            )));
        }
        Ok((subject.to_string(), body.to_string()))
    }
}

#[async_trait]
impl TextWriter for BedrockWriter {
    async fn write(&self, brief: &Brief) -> Result<Draft, WriterError> {
        let prompt = Self::prompt(brief)?;
        let message = Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(prompt))
            .build()
            .map_err(|e| WriterError::Unavailable(e.to_string()))?;
        let out = self
            .client()
            .await
            .converse()
            .model_id(&self.model_id)
            .system(SystemContentBlock::Text(self.system.clone()))
            .messages(message)
            .inference_config(
                InferenceConfiguration::builder()
                    .max_tokens(600)
                    .temperature(0.4)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                WriterError::Unavailable(format!(
                    "{}",
                    aws_sdk_bedrockruntime::error::DisplayErrorContext(e)
                ))
            })?;
        let text: String = out
            .output()
            .and_then(|o| o.as_message().ok())
            .map(|m| {
                m.content()
                    .iter()
                    .filter_map(|c| c.as_text().ok())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("")
            })
            .unwrap_or_default();
        let (subject, body) = Self::parse_answer(&text)?;
        Ok(Draft {
            subject,
            body,
            written_by: format!("bedrock:{}", self.model_id),
        })
    }
}

/// The text writer the environment asks for: `ASCENT_TEXT_WRITER` = `template` (default) or
/// `bedrock` (model from `ASCENT_BEDROCK_MODEL_ID`, default [`DEFAULT_MODEL`]). Read at init,
/// so a bad value stops the function before any message; the writer itself is made with the
/// company of the configuration ([`WriterChoice::writer`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriterChoice {
    Template,
    Bedrock { model_id: String },
}

impl WriterChoice {
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("ASCENT_TEXT_WRITER").as_deref() {
            Err(_) | Ok("") | Ok("template") => Ok(Self::Template),
            Ok("bedrock") => Ok(Self::Bedrock {
                model_id: std::env::var("ASCENT_BEDROCK_MODEL_ID")
                    .unwrap_or_else(|_| DEFAULT_MODEL.into()),
            }),
            Ok(other) => Err(format!(
                "ASCENT_TEXT_WRITER=`{other}`: expected `template` or `bedrock`"
            )),
        }
    }

    /// The writer, writing for `company`.
    pub fn writer(&self, company: &Company) -> Arc<dyn TextWriter> {
        match self {
            Self::Template => Arc::new(TemplateWriter),
            Self::Bedrock { model_id } => {
                Arc::new(BedrockWriter::lazy(model_id.clone()).for_company(company))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_company_gives_today_s_instructions() {
        assert_eq!(
            system_prompt(&shipped_company()),
            "You write short, plain-text B2B messages for Ascent XR, a company selling XR \
             (virtual and augmented reality) training. Use only the facts and the draft you are \
             given: never invent numbers, customers, prices or claims. No links, no signature \
             block beyond the sender's name, no footer (one is added after you). Answer exactly \
             in this form:\nSubject: <one line>\n\n<body>"
        );
        assert_eq!(
            BedrockWriter::lazy(DEFAULT_MODEL).system(),
            system_prompt(&shipped_company())
        );
    }

    #[test]
    fn the_model_writes_for_the_configured_company_and_pitch() {
        let text = ConfigFile::shipped()
            .text()
            .replace("name = \"Ascent XR\"", "name = \"Boreal Immersive\"")
            .replace(
                "pitch = \"a company selling XR (virtual and augmented reality) training\"",
                "pitch = \"a studio building VR flight simulators\"",
            );
        let company: Company = ConfigFile::parse("x.toml", text)
            .unwrap()
            .section("company")
            .unwrap();
        let w = BedrockWriter::lazy(DEFAULT_MODEL).for_company(&company);
        assert!(
            w.system().starts_with(
                "You write short, plain-text B2B messages for Boreal Immersive, a studio \
                 building VR flight simulators. Use only"
            ),
            "{}",
            w.system()
        );
        assert!(!w.system().contains("Ascent"));
    }

    #[test]
    fn an_empty_pitch_is_refused_with_its_key() {
        let text = ConfigFile::shipped().text().replace(
            "pitch = \"a company selling XR (virtual and augmented reality) training\"",
            "pitch = \"\"",
        );
        let e = ConfigFile::parse("x.toml", text)
            .unwrap()
            .section::<Company>("company")
            .unwrap_err();
        assert_eq!(e.path, "company.pitch");
        assert!(e.line.is_some());
    }

    #[test]
    fn answers_are_split_and_bad_ones_refused() {
        assert_eq!(
            BedrockWriter::parse_answer("Subject: Hi Ana\n\nShort body.\n").unwrap(),
            ("Hi Ana".to_string(), "Short body.".to_string())
        );
        assert!(matches!(
            BedrockWriter::parse_answer("Hi Ana, here is a body"),
            Err(WriterError::Refused(_))
        ));
        assert!(matches!(
            BedrockWriter::parse_answer("Subject: x\n\n"),
            Err(WriterError::Refused(_))
        ));
        let long = format!("Subject: x\n\n{}", "a".repeat(MAX_BODY_CHARS + 1));
        assert!(matches!(
            BedrockWriter::parse_answer(&long),
            Err(WriterError::Refused(_))
        ));
    }
}
