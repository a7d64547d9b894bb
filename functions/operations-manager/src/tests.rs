//! Operations Manager tests through an in-memory twin.

use super::*;
