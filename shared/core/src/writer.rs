//! The text-writer port: turns a message template and the facts about its recipient into the
//! text that is sent. Locally (and by default everywhere) [`TemplateWriter`] fills the
//! template's `{placeholders}` deterministically; on AWS a Bedrock adapter can rewrite it
//! for the person, behind a setting. Whatever writes the text, the caller appends what the law
//! requires (unsubscribe link, postal address) afterwards, so no writer can leave it out.

use async_trait::async_trait;
use std::collections::BTreeMap;

/// What a message should say and to whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Brief {
    /// What the message is for (`first touch`, `follow-up`, `break-up`), for the writer's tone.
    pub purpose: String,
    pub subject_template: String,
    pub body_template: String,
    /// Facts the text may use (`first_name`, `company`, `industry`, `role`, `rep_name`).
    /// A writer must not state anything that is not here or in the template.
    pub facts: BTreeMap<String, String>,
}

/// The text to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub subject: String,
    pub body: String,
    /// What wrote it (`template`, `bedrock:<model id>`).
    pub written_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WriterError {
    /// The template names a fact the brief does not have.
    #[error("template needs `{0}`, which the brief does not have")]
    MissingFact(String),
    #[error("text writer unavailable: {0}")]
    Unavailable(String),
    /// The writer answered with something unusable (empty, no subject, too long).
    #[error("text writer answer refused: {0}")]
    Refused(String),
}

/// Writes outreach text.
#[async_trait]
pub trait TextWriter: Send + Sync {
    async fn write(&self, brief: &Brief) -> Result<Draft, WriterError>;
}

/// Fills `{name}` placeholders from the brief's facts; `{{` and `}}` are literal braces.
pub fn fill(template: &str, facts: &BTreeMap<String, String>) -> Result<String, WriterError> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(r) = tail.strip_prefix("{{") {
            out.push('{');
            rest = r;
        } else if let Some(r) = tail.strip_prefix("}}") {
            out.push('}');
            rest = r;
        } else if let Some(r) = tail.strip_prefix('}') {
            out.push('}');
            rest = r;
        } else {
            let body = &tail[1..];
            let Some(end) = body.find('}') else {
                out.push_str(tail);
                return Ok(out);
            };
            let name = &body[..end];
            let value = facts
                .get(name)
                .ok_or_else(|| WriterError::MissingFact(name.to_string()))?;
            out.push_str(value);
            rest = &body[end + 1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The deterministic writer: the template, filled.
#[derive(Clone, Copy, Debug, Default)]
pub struct TemplateWriter;

#[async_trait]
impl TextWriter for TemplateWriter {
    async fn write(&self, brief: &Brief) -> Result<Draft, WriterError> {
        Ok(Draft {
            subject: fill(&brief.subject_template, &brief.facts)?,
            body: fill(&brief.body_template, &brief.facts)?,
            written_by: "template".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> BTreeMap<String, String> {
        [("first_name", "Ana"), ("company", "Boreal Aero")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fills_placeholders_and_keeps_literal_braces() {
        assert_eq!(
            fill("Hi {first_name}, {{not a field}} at {company}.", &facts()).unwrap(),
            "Hi Ana, {not a field} at Boreal Aero."
        );
        assert_eq!(fill("no fields", &facts()).unwrap(), "no fields");
    }

    #[test]
    fn a_missing_fact_is_an_error_naming_it() {
        assert_eq!(
            fill("Hi {first_name} from {city}", &facts()),
            Err(WriterError::MissingFact("city".into()))
        );
    }

    #[test]
    fn the_template_writer_is_deterministic() {
        let brief = Brief {
            purpose: "first touch".into(),
            subject_template: "{company} and XR training".into(),
            body_template: "Hello {first_name}".into(),
            facts: facts(),
        };
        let d = futures_lite_block_on(TemplateWriter.write(&brief)).unwrap();
        assert_eq!(d.subject, "Boreal Aero and XR training");
        assert_eq!(d.body, "Hello Ana");
        assert_eq!(d.written_by, "template");
    }

    /// The template writer never awaits anything: polling once finishes it.
    fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the template writer never waits"),
        }
    }
}
