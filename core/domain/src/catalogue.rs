//! The service catalogue (事项库): items, their situation trees, materials and forms.
//!
//! The catalogue is authored centrally as a TOML file (`catalogue/demo.toml` is the demo one), published as one
//! record in the `catalogue` scope and synced read-only to every terminal, which keeps working with the last
//! version it has. Everything a resident or clerk sees about an item comes from here, and the material list and
//! form of an application are *generated* from the item and the resident's answers to its situation questions
//! ([`Item::visible_questions`], [`Item::materials_for`], [`Item::fields_for`]), never typed per case.
//!
//! The situation tree is a list of questions, each shown only when the answers so far meet its `when`
//! conditions; materials and form fields carry the same kind of conditions. Conditions only point at earlier
//! questions, so the tree is walked in one pass and cannot loop ([`Catalogue::validate`] checks it).

use std::collections::{BTreeMap, BTreeSet};

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// The record kind of a published catalogue.
pub const CATALOGUE_KIND: &str = "catalogue";
/// The scope every terminal is granted read-only: the catalogue is the same for all halls.
pub const CATALOGUE_SCOPE: &str = "catalogue";
/// The one document id the catalogue is published under; each publication updates it.
pub const CATALOGUE_DOC_ID: &str = "catalogue-main";
/// Length of an implementation code (实施编码).
pub const ITEM_CODE_LEN: usize = 33;

/// Answers to an item's situation questions: question id → chosen option id.
pub type Answers = BTreeMap<String, String>;

/// One published version of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// Raised by every publication; terminals keep the highest they have seen.
    pub version: u32,
    /// Unix milliseconds of the publication (set by the publisher, not the file).
    #[serde(default)]
    pub published_at_ms: i64,
    /// The shared field dictionary (表单项) every form is built from.
    pub fields: Vec<FieldDef>,
    pub items: Vec<Item>,
}

/// Where an item is listed on the kiosk home screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum ItemCategory {
    /// 个人服务
    Personal,
    /// 法人服务
    Legal,
    /// 本地特色
    Local,
    /// 查询打印
    QueryPrint,
}

/// An item (事项) as the catalogue describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// 33-character implementation code; the first 18 are the department's unified social credit code.
    pub code: String,
    pub name: String,
    /// Initials of the name in pinyin, lower case (`sfzhz` for 身份证换证), for search on the kiosk.
    pub pinyin: String,
    pub department: String,
    /// 实施层级, e.g. 区级.
    pub level: String,
    pub category: ItemCategory,
    /// Shown among 常用事项 on the kiosk home screen.
    #[serde(default)]
    pub common: bool,
    #[serde(default)]
    pub bookable: bool,
    #[serde(default)]
    pub online_payment: bool,
    #[serde(default)]
    pub courier: bool,
    /// Whether a resident can complete it at a kiosk; otherwise the kiosk hands the case over to a window.
    #[serde(default)]
    pub kiosk: bool,
    /// 法定办结时限 in working days.
    pub statutory_days: u32,
    /// 承诺办结时限 in working days; never more than `statutory_days`.
    pub promised_days: u32,
    /// 收费标准, as shown to the resident ("不收费" when free).
    pub fees: String,
    pub guide: Guide,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub materials: Vec<Material>,
    /// The form's fields, by dictionary code, each with its own conditions.
    #[serde(default)]
    pub form: Vec<FormField>,
    /// A withdrawn item stays in the catalogue for old cases, but no new application may be submitted.
    #[serde(default)]
    pub withdrawn: bool,
}

/// 办事指南: what the kiosk shows before 马上申办.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct Guide {
    /// 事项概述
    pub overview: String,
    /// 法定依据
    pub legal_basis: String,
    /// 受理条件
    pub conditions: String,
    /// 办理流程, one step per entry.
    pub process: Vec<String>,
    /// 办理地点 and 办理时间.
    pub place: String,
    pub hours: String,
    #[serde(default)]
    pub faq: Vec<Faq>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub question: String,
    pub answer: String,
}

/// "Question `question` was answered with `option`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub question: String,
    pub option: String,
}

impl Condition {
    fn holds(&self, answers: &Answers) -> bool {
        answers.get(&self.question) == Some(&self.option)
    }
}

fn all_hold(conditions: &[Condition], answers: &Answers) -> bool {
    conditions.iter().all(|c| c.holds(answers))
}

/// One situation question (情形) with its options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub options: Vec<QuestionOption>,
    /// Asked only when every condition holds (all of them point at earlier questions).
    #[serde(default)]
    pub when: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct QuestionOption {
    pub id: String,
    pub label: String,
}

/// The form a material is handed in as (介质).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Original,
    Copy,
    Electronic,
}

/// 必选 / 可选 / 归组选择.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Mandatory,
    Optional,
    /// One material of the same `group` is enough.
    OneOf,
}

/// A material (申请材料) an item may need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct Material {
    pub id: String,
    pub name: String,
    pub medium: Medium,
    #[serde(default = "one")]
    pub copies: u32,
    pub requirement: Requirement,
    /// With [`Requirement::OneOf`]: the group whose members stand in for each other.
    #[serde(default)]
    pub group: Option<String>,
    /// 形式审查要点, shown to the clerk as the material is collected.
    pub review_points: Vec<String>,
    /// Whether the kiosk's document camera may take it; otherwise it must be handed in at a window.
    #[serde(default)]
    pub kiosk_capturable: bool,
    /// The e-certificate type (电子证照) that can stand in for it, if any.
    #[serde(default)]
    pub e_certificate: Option<String>,
    #[serde(default)]
    pub when: Vec<Condition>,
}

fn one() -> u32 {
    1
}

/// A field of the shared dictionary (表单项).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Stable code, e.g. `applicant_name`.
    pub code: String,
    pub label: String,
    pub kind: FieldKind,
    /// Values of a [`FieldKind::Choice`].
    #[serde(default)]
    pub choices: Vec<String>,
    /// Where the value can be pre-filled from.
    #[serde(default)]
    pub prefill: Option<Prefill>,
    #[serde(default)]
    pub max_len: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    /// `YYYY-MM-DD`.
    Date,
    /// Mainland mobile number, 11 digits.
    Phone,
    /// 18-character resident ID number with its check digit.
    IdNumber,
    Choice,
    Number,
}

/// Pre-fill sources a form field can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    CardName,
    CardIdNumber,
    CardGender,
    CardBirthDate,
    CardAddress,
    CardEthnicity,
}

/// A field of an item's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    pub field: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub when: Vec<Condition>,
}

/// Why a catalogue file cannot be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("the catalogue file is not valid: {0}")]
    Parse(String),
    #[error("item {item}: {problem}")]
    Invalid { item: String, problem: String },
}

impl ErrorCode for CatalogueError {
    fn code(&self) -> &'static str {
        match self {
            CatalogueError::Parse(_) => "catalogue.parse",
            CatalogueError::Invalid { .. } => "catalogue.invalid",
        }
    }
}

/// Why answers to an item's questions are not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("question {0} must be answered")]
    Unanswered(String),
    #[error("question {question} has no option {option}")]
    UnknownOption { question: String, option: String },
    #[error("{0} is not a question of this item, or it does not apply to the answers given")]
    NotAsked(String),
}

impl ErrorCode for AnswerError {
    fn code(&self) -> &'static str {
        match self {
            AnswerError::Unanswered(_) => "application.unanswered",
            AnswerError::UnknownOption { .. } => "application.unknown_option",
            AnswerError::NotAsked(_) => "application.not_asked",
        }
    }
}

impl Catalogue {
    /// Parses and validates a catalogue TOML file.
    pub fn from_toml(text: &str) -> Result<Self, CatalogueError> {
        let catalogue: Catalogue =
            toml::from_str(text).map_err(|e| CatalogueError::Parse(e.to_string()))?;
        catalogue.validate()?;
        Ok(catalogue)
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    pub fn field(&self, code: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.code == code)
    }

    /// Items (not withdrawn) whose name contains `query`, whose pinyin initials start with or contain it
    /// (case-insensitive), or whose code starts with it; name matches first, then pinyin, then code.
    pub fn search(&self, query: &str) -> Vec<&Item> {
        let query = query.trim();
        if query.is_empty() {
            return Vec::new();
        }
        let lower = query.to_lowercase();
        let mut scored: Vec<(u8, &Item)> = self
            .items
            .iter()
            .filter(|i| !i.withdrawn)
            .filter_map(|item| {
                let rank = if item.name.contains(query) {
                    0
                } else if item.pinyin.starts_with(&lower) {
                    1
                } else if item.pinyin.contains(&lower) {
                    2
                } else if item.code.starts_with(query) {
                    3
                } else {
                    return None;
                };
                Some((rank, item))
            })
            .collect();
        scored.sort_by_key(|(rank, _)| *rank);
        scored.into_iter().map(|(_, item)| item).collect()
    }

    /// Checks everything a terminal relies on: unique codes of the right shape, promised ≤ statutory time
    /// limits, known dictionary fields, conditions that point at earlier questions and their real options,
    /// groups on one-of materials.
    pub fn validate(&self) -> Result<(), CatalogueError> {
        let mut field_codes = BTreeSet::new();
        for field in &self.fields {
            if !field_codes.insert(field.code.as_str()) {
                return Err(invalid("fields", format!("field {} is defined twice", field.code)));
            }
            if field.kind == FieldKind::Choice && field.choices.is_empty() {
                return Err(invalid(
                    "fields",
                    format!("choice field {} lists no choices", field.code),
                ));
            }
        }
        let mut item_codes = BTreeSet::new();
        for item in &self.items {
            item.validate(&field_codes)?;
            if !item_codes.insert(item.code.as_str()) {
                return Err(invalid(&item.code, "the code is used by two items".into()));
            }
        }
        Ok(())
    }
}

fn invalid(item: &str, problem: String) -> CatalogueError {
    CatalogueError::Invalid {
        item: item.to_string(),
        problem,
    }
}

impl Item {
    /// The unified social credit code of the department (the code's first 18 characters).
    pub fn department_code(&self) -> &str {
        self.code.get(..18).unwrap_or(&self.code)
    }

    /// Query/print items (查询打印) end right after printing; they have no materials to take.
    pub fn is_query_print(&self) -> bool {
        self.category == ItemCategory::QueryPrint
    }

    /// The questions to ask for these answers, in order: those whose conditions hold.
    pub fn visible_questions(&self, answers: &Answers) -> Vec<&Question> {
        self.questions
            .iter()
            .filter(|q| all_hold(&q.when, answers))
            .collect()
    }

    /// Checks that every visible question has a valid answer and that nothing else was answered.
    pub fn check_answers(&self, answers: &Answers) -> Result<(), AnswerError> {
        let visible = self.visible_questions(answers);
        for question in &visible {
            match answers.get(&question.id) {
                None => return Err(AnswerError::Unanswered(question.id.clone())),
                Some(option) if !question.options.iter().any(|o| &o.id == option) => {
                    return Err(AnswerError::UnknownOption {
                        question: question.id.clone(),
                        option: option.clone(),
                    })
                }
                Some(_) => {}
            }
        }
        if let Some(extra) = answers
            .keys()
            .find(|id| !visible.iter().any(|q| &q.id == *id))
        {
            return Err(AnswerError::NotAsked(extra.clone()));
        }
        Ok(())
    }

    /// The material list generated from these answers.
    pub fn materials_for(&self, answers: &Answers) -> Vec<&Material> {
        self.materials
            .iter()
            .filter(|m| all_hold(&m.when, answers))
            .collect()
    }

    /// The form's fields for these answers.
    pub fn fields_for(&self, answers: &Answers) -> Vec<&FormField> {
        self.form
            .iter()
            .filter(|f| all_hold(&f.when, answers))
            .collect()
    }

    fn validate(&self, field_codes: &BTreeSet<&str>) -> Result<(), CatalogueError> {
        let fail = |problem: String| Err(invalid(&self.code, problem));
        if self.code.chars().count() != ITEM_CODE_LEN
            || !self.code.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return fail(format!(
                "the implementation code must be {ITEM_CODE_LEN} letters and digits"
            ));
        }
        if self.name.trim().is_empty() {
            return fail("the name is empty".into());
        }
        if !self.pinyin.chars().all(|c| c.is_ascii_lowercase()) || self.pinyin.is_empty() {
            return fail("pinyin initials must be lower-case letters".into());
        }
        if self.promised_days > self.statutory_days {
            return fail(format!(
                "the promised time limit ({} days) exceeds the statutory one ({} days)",
                self.promised_days, self.statutory_days
            ));
        }
        let mut seen: BTreeMap<&str, &Question> = BTreeMap::new();
        for question in &self.questions {
            if question.options.len() < 2 {
                return fail(format!("question {} needs at least two options", question.id));
            }
            check_conditions(&question.when, &seen)
                .map_err(|p| invalid(&self.code, format!("question {}: {p}", question.id)))?;
            if seen.insert(&question.id, question).is_some() {
                return fail(format!("question {} is defined twice", question.id));
            }
        }
        let mut material_ids = BTreeSet::new();
        for material in &self.materials {
            if !material_ids.insert(material.id.as_str()) {
                return fail(format!("material {} is defined twice", material.id));
            }
            if material.requirement == Requirement::OneOf && material.group.is_none() {
                return fail(format!("one-of material {} names no group", material.id));
            }
            if material.review_points.is_empty() {
                return fail(format!("material {} has no review points", material.id));
            }
            check_conditions(&material.when, &seen)
                .map_err(|p| invalid(&self.code, format!("material {}: {p}", material.id)))?;
        }
        for field in &self.form {
            if !field_codes.contains(field.field.as_str()) {
                return fail(format!("form field {} is not in the dictionary", field.field));
            }
            check_conditions(&field.when, &seen)
                .map_err(|p| invalid(&self.code, format!("field {}: {p}", field.field)))?;
        }
        Ok(())
    }
}

fn check_conditions(
    conditions: &[Condition],
    earlier: &BTreeMap<&str, &Question>,
) -> Result<(), String> {
    for c in conditions {
        let Some(question) = earlier.get(c.question.as_str()) else {
            return Err(format!(
                "condition names {}, which is not an earlier question",
                c.question
            ));
        };
        if !question.options.iter().any(|o| o.id == c.option) {
            return Err(format!(
                "condition names option {} that question {} does not have",
                c.option, c.question
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIRTH: &str = r#"
version = 3
[[fields]]
code = "applicant_name"
label = "申请人姓名"
kind = "text"
prefill = "card_name"
[[fields]]
code = "late_reason"
label = "超期原因"
kind = "text"

[[items]]
code = "11460100MB1234567X444010010000100"
name = "国内出生登记"
pinyin = "gncsdj"
department = "市公安局"
level = "区级"
category = "personal"
kiosk = true
statutory_days = 20
promised_days = 5
fees = "不收费"
guide = { overview = "为新生儿申报户口", legal_basis = "《中华人民共和国户口登记条例》", conditions = "在本市出生", process = ["申请", "受理", "办结"], place = "1号窗口", hours = "工作日" }
[[items.questions]]
id = "household"
text = "入户类型"
options = [{ id = "family", label = "随父母入家庭户" }, { id = "collective", label = "入集体户" }]
[[items.questions]]
id = "late"
text = "出生是否超过一年"
options = [{ id = "no", label = "否" }, { id = "yes", label = "是" }]
[[items.questions]]
id = "late_proof"
text = "是否有出生医学证明"
options = [{ id = "yes", label = "有" }, { id = "no", label = "没有" }]
when = [{ question = "late", option = "yes" }]
[[items.materials]]
id = "birth_cert"
name = "出生医学证明"
medium = "original"
requirement = "mandatory"
review_points = ["姓名、出生日期与申请一致"]
kiosk_capturable = true
[[items.materials]]
id = "collective_card"
name = "集体户口卡"
medium = "original"
requirement = "mandatory"
review_points = ["集体户口卡在有效期内"]
when = [{ question = "household", option = "collective" }]
[[items.form]]
field = "applicant_name"
required = true
[[items.form]]
field = "late_reason"
required = true
when = [{ question = "late", option = "yes" }]
"#;

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        pairs
            .iter()
            .map(|(q, o)| (q.to_string(), o.to_string()))
            .collect()
    }

    #[test]
    fn answers_select_the_collective_household_card_and_the_late_form_field() {
        let catalogue = Catalogue::from_toml(BIRTH).unwrap();
        let item = &catalogue.items[0];
        let family = answers(&[("household", "family"), ("late", "no")]);
        let names: Vec<_> = item.materials_for(&family).iter().map(|m| &m.id).collect();
        assert_eq!(names, ["birth_cert"]);
        assert_eq!(item.fields_for(&family).len(), 1);

        let collective = answers(&[
            ("household", "collective"),
            ("late", "yes"),
            ("late_proof", "yes"),
        ]);
        let names: Vec<_> = item
            .materials_for(&collective)
            .iter()
            .map(|m| &m.id)
            .collect();
        assert_eq!(names, ["birth_cert", "collective_card"]);
        assert_eq!(item.fields_for(&collective).len(), 2);
    }

    #[test]
    fn a_follow_up_question_is_asked_only_when_its_condition_holds() {
        let catalogue = Catalogue::from_toml(BIRTH).unwrap();
        let item = &catalogue.items[0];
        assert_eq!(item.visible_questions(&Answers::new()).len(), 2);
        let late = answers(&[("household", "family"), ("late", "yes")]);
        assert_eq!(item.visible_questions(&late).len(), 3);
        assert_eq!(
            item.check_answers(&late),
            Err(AnswerError::Unanswered("late_proof".into()))
        );
        let not_late = answers(&[("household", "family"), ("late", "no"), ("late_proof", "yes")]);
        assert_eq!(
            item.check_answers(&not_late),
            Err(AnswerError::NotAsked("late_proof".into()))
        );
        let bad = answers(&[("household", "hotel"), ("late", "no")]);
        assert!(matches!(
            item.check_answers(&bad),
            Err(AnswerError::UnknownOption { .. })
        ));
    }

    #[test]
    fn search_finds_by_name_pinyin_initials_and_code() {
        let catalogue = Catalogue::from_toml(BIRTH).unwrap();
        assert_eq!(catalogue.search("出生").len(), 1);
        assert_eq!(catalogue.search("GNCS").len(), 1);
        assert_eq!(catalogue.search("csdj").len(), 1);
        assert_eq!(catalogue.search("11460100").len(), 1);
        assert!(catalogue.search("社保").is_empty());
        assert!(catalogue.search("  ").is_empty());
    }

    #[test]
    fn a_promised_limit_above_the_statutory_one_is_refused() {
        let text = BIRTH.replace("promised_days = 5", "promised_days = 30");
        let err = Catalogue::from_toml(&text).unwrap_err();
        assert_eq!(err.code(), "catalogue.invalid");
        assert!(err.to_string().contains("exceeds the statutory"));
    }

    #[test]
    fn a_condition_on_a_later_or_unknown_question_is_refused() {
        let text = BIRTH.replace(
            "when = [{ question = \"late\", option = \"yes\" }]\n[[items.materials]]",
            "when = [{ question = \"late_proof\", option = \"yes\" }]\n[[items.materials]]",
        );
        let err = Catalogue::from_toml(&text).unwrap_err();
        assert!(err.to_string().contains("not an earlier question"), "{err}");
    }

    #[test]
    fn a_short_code_and_an_unknown_field_are_refused() {
        let short = BIRTH.replace("11460100MB1234567X444010010000100", "1146");
        assert!(Catalogue::from_toml(&short).is_err());
        let unknown = BIRTH.replace("field = \"late_reason\"", "field = \"nickname\"");
        assert!(Catalogue::from_toml(&unknown)
            .unwrap_err()
            .to_string()
            .contains("not in the dictionary"));
    }

    #[test]
    fn the_catalogue_survives_an_automerge_round_trip() {
        let catalogue = Catalogue::from_toml(BIRTH).unwrap();
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &catalogue).unwrap();
        let back: Catalogue = autosurgeon::hydrate(&doc).unwrap();
        assert_eq!(back, catalogue);
    }
}
