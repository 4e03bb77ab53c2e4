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

/// The demo hall's catalogue (海口市龙华区政务服务中心, hall `hk-longhua`): fifteen items across the four
/// kiosk categories, written by us in zh-CN with fictional department codes and the real laws, so the demo,
/// the UI and the tests have a realistic catalogue to publish without an external 事项库.
pub const DEMO_CATALOGUE_TOML: &str = include_str!("../catalogue/demo.toml");

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

impl FieldDef {
    /// Checks a typed value against the field's kind, choices and length; the error says why, in words a
    /// clerk can act on.
    pub fn check_value(&self, value: &str) -> Result<(), String> {
        let value = value.trim();
        if let Some(max) = self.max_len {
            if value.chars().count() > max as usize {
                return Err(format!("at most {max} characters"));
            }
        }
        let ok = match self.kind {
            FieldKind::Text => true,
            FieldKind::Date => crate::clock::parse_date(value).is_some(),
            FieldKind::Phone => {
                value.len() == 11
                    && value.starts_with('1')
                    && value.bytes().all(|b| b.is_ascii_digit())
            }
            FieldKind::IdNumber => id_number_is_valid(value),
            FieldKind::Number => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
            FieldKind::Choice => self.choices.iter().any(|c| c == value),
        };
        if ok {
            return Ok(());
        }
        Err(match self.kind {
            FieldKind::Date => "a date as YYYY-MM-DD".to_string(),
            FieldKind::Phone => "an 11-digit mobile number".to_string(),
            FieldKind::IdNumber => "an 18-character ID number with a valid check digit".to_string(),
            FieldKind::Number => "digits only".to_string(),
            FieldKind::Choice => format!("one of {}", self.choices.join(", ")),
            FieldKind::Text => unreachable!("text is always accepted"),
        })
    }
}

/// GB 11643 check digit (ISO 7064 MOD 11-2) of an 18-character resident ID number. Written here because the
/// domain depends on no driver crate; the card reader's copy checks numbers read from cards.
fn id_number_is_valid(id: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let bytes = id.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    bytes[17].to_ascii_uppercase() == CHECK[(sum % 11) as usize]
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
                return Err(invalid(
                    "fields",
                    format!("field {} is defined twice", field.code),
                ));
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
                return fail(format!(
                    "question {} needs at least two options",
                    question.id
                ));
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
                return fail(format!(
                    "form field {} is not in the dictionary",
                    field.field
                ));
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
        let not_late = answers(&[
            ("household", "family"),
            ("late", "no"),
            ("late_proof", "yes"),
        ]);
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
    fn typed_values_are_checked_by_field_kind() {
        let field = |kind, choices: &[&str]| FieldDef {
            code: "f".into(),
            label: "f".into(),
            kind,
            choices: choices.iter().map(|c| c.to_string()).collect(),
            prefill: None,
            max_len: Some(20),
        };
        assert!(field(FieldKind::Date, &[])
            .check_value("2026-11-24")
            .is_ok());
        assert!(field(FieldKind::Date, &[]).check_value("abc").is_err());
        assert!(field(FieldKind::Date, &[])
            .check_value("2026-02-30")
            .is_err());
        assert!(field(FieldKind::Phone, &[])
            .check_value("13800138000")
            .is_ok());
        assert!(field(FieldKind::Phone, &[]).check_value("x").is_err());
        assert!(field(FieldKind::Number, &[]).check_value("2026").is_ok());
        assert!(field(FieldKind::Number, &[]).check_value("20x6").is_err());
        assert!(field(FieldKind::Choice, &["男", "女"])
            .check_value("女")
            .is_ok());
        assert!(field(FieldKind::Choice, &["男", "女"])
            .check_value("其他")
            .is_err());
        assert!(field(FieldKind::Text, &[])
            .check_value(&"字".repeat(21))
            .is_err());
        let id = FieldDef {
            max_len: None,
            ..field(FieldKind::IdNumber, &[])
        };
        assert!(id.check_value("11010519491231002X").is_ok());
        assert!(id.check_value("110105194912310021").is_err());
        assert!(id.check_value("1101051949").is_err());
    }

    #[test]
    fn the_catalogue_survives_an_automerge_round_trip() {
        let catalogue = Catalogue::from_toml(BIRTH).unwrap();
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &catalogue).unwrap();
        let back: Catalogue = autosurgeon::hydrate(&doc).unwrap();
        assert_eq!(back, catalogue);
    }

    /// The demo catalogue is content, so these tests hold it to what the kiosk, the window and the brief's
    /// examples rely on, beyond what [`Catalogue::validate`] can know.
    mod demo_catalogue {
        use super::*;

        fn demo() -> Catalogue {
            Catalogue::from_toml(DEMO_CATALOGUE_TOML).expect("the demo catalogue is valid")
        }

        fn named<'a>(catalogue: &'a Catalogue, name: &str) -> &'a Item {
            catalogue
                .items
                .iter()
                .find(|i| i.name == name)
                .unwrap_or_else(|| panic!("no item {name}"))
        }

        fn material_ids(item: &Item, answers: &Answers) -> BTreeSet<String> {
            item.materials_for(answers)
                .iter()
                .map(|m| m.id.clone())
                .collect()
        }

        fn field_codes(item: &Item, answers: &Answers) -> Vec<String> {
            item.fields_for(answers)
                .iter()
                .map(|f| f.field.clone())
                .collect()
        }

        /// Every complete answer set of an item: the tree walked in order, branching on each visible question.
        fn all_answer_sets(item: &Item) -> Vec<Answers> {
            let mut sets = vec![Answers::new()];
            for question in &item.questions {
                sets = sets
                    .into_iter()
                    .flat_map(|answers| {
                        if all_hold(&question.when, &answers) {
                            question
                                .options
                                .iter()
                                .map(|o| {
                                    let mut next = answers.clone();
                                    next.insert(question.id.clone(), o.id.clone());
                                    next
                                })
                                .collect()
                        } else {
                            vec![answers]
                        }
                    })
                    .collect();
            }
            sets
        }

        #[test]
        fn the_demo_catalogue_parses_and_validates() {
            let catalogue = demo();
            assert_eq!(catalogue.version, 1);
            assert!(catalogue.fields.len() >= 20, "{}", catalogue.fields.len());
            for code in [
                "applicant_name",
                "applicant_id_number",
                "applicant_gender",
                "applicant_birth_date",
                "applicant_address",
                "applicant_ethnicity",
                "applicant_phone",
                "late_reason",
                "query_year",
            ] {
                assert!(catalogue.field(code).is_some(), "{code}");
            }
            assert_eq!(
                catalogue.field("applicant_id_number").unwrap().prefill,
                Some(Prefill::CardIdNumber)
            );
            // It is published as a record, so it has to survive the document form as well.
            let mut doc = automerge::AutoCommit::new();
            autosurgeon::reconcile(&mut doc, &catalogue).unwrap();
            let back: Catalogue = autosurgeon::hydrate(&doc).unwrap();
            assert_eq!(back, catalogue);
        }

        #[test]
        fn it_covers_every_category_with_common_and_window_only_items() {
            let catalogue = demo();
            assert!(catalogue.items.len() >= 14);
            for category in [
                ItemCategory::Personal,
                ItemCategory::Legal,
                ItemCategory::QueryPrint,
                ItemCategory::Local,
            ] {
                assert!(
                    catalogue.items.iter().any(|i| i.category == category),
                    "{category:?}"
                );
            }
            assert!(catalogue.items.iter().filter(|i| i.common).count() >= 6);
            let window_only = catalogue
                .items
                .iter()
                .filter(|i| !i.kiosk && !i.is_query_print())
                .count();
            assert!(window_only >= 2);
            let kiosk_items_with_window_material = catalogue
                .items
                .iter()
                .filter(|i| i.kiosk && i.materials.iter().any(|m| !m.kiosk_capturable))
                .count();
            assert!(kiosk_items_with_window_material >= 1);
            let with_follow_up = catalogue
                .items
                .iter()
                .filter(|i| i.questions.iter().any(|q| !q.when.is_empty()))
                .count();
            assert!(with_follow_up >= 4);
            let with_one_of = catalogue
                .items
                .iter()
                .filter(|i| {
                    i.materials
                        .iter()
                        .any(|m| m.requirement == Requirement::OneOf)
                })
                .count();
            assert!(with_one_of >= 2);
        }

        #[test]
        fn every_non_query_item_asks_questions_and_lists_reviewed_materials() {
            for item in &demo().items {
                if item.is_query_print() {
                    assert!(item.questions.is_empty(), "{}", item.name);
                    assert!(item.materials.is_empty(), "{}", item.name);
                    assert!(item.kiosk, "{}", item.name);
                    continue;
                }
                assert!(item.questions.len() >= 2, "{}", item.name);
                assert!(item.materials.len() >= 3, "{}", item.name);
                for material in &item.materials {
                    let points = material.review_points.len();
                    assert!((1..=3).contains(&points), "{} {}", item.name, material.id);
                    assert!(material.copies >= 1, "{} {}", item.name, material.id);
                }
                assert!(!item.guide.faq.is_empty() && item.guide.faq.len() <= 2);
            }
        }

        #[test]
        fn every_answer_set_is_accepted_and_its_one_of_groups_offer_a_choice() {
            for item in &demo().items {
                for answers in all_answer_sets(item) {
                    assert_eq!(item.check_answers(&answers), Ok(()), "{}", item.name);
                    let materials = item.materials_for(&answers);
                    assert!(
                        item.is_query_print() || materials.len() >= 2,
                        "{} {answers:?}",
                        item.name
                    );
                    let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
                    for m in materials
                        .iter()
                        .filter(|m| m.requirement == Requirement::OneOf)
                    {
                        *groups.entry(m.group.as_deref().unwrap()).or_default() += 1;
                    }
                    assert!(
                        groups.values().all(|&n| n >= 2),
                        "{} {answers:?}",
                        item.name
                    );
                }
            }
        }

        #[test]
        fn every_form_asks_for_the_applicants_name_id_number_and_phone() {
            for item in &demo().items {
                for code in ["applicant_name", "applicant_id_number", "applicant_phone"] {
                    let field = item.form.iter().find(|f| f.field == code);
                    assert!(
                        field.is_some_and(|f| f.required && f.when.is_empty()),
                        "{} {code}",
                        item.name
                    );
                }
            }
        }

        #[test]
        fn guides_name_the_hall_and_limits_and_codes_fit_each_department() {
            let catalogue = demo();
            let mut prefix_of: BTreeMap<&str, &str> = BTreeMap::new();
            let mut department_of: BTreeMap<&str, &str> = BTreeMap::new();
            for item in &catalogue.items {
                let prefix = item.department_code();
                assert_eq!(prefix.len(), 18);
                assert_eq!(
                    *prefix_of.entry(&item.department).or_insert(prefix),
                    prefix,
                    "{}",
                    item.name
                );
                assert_eq!(
                    *department_of.entry(prefix).or_insert(&item.department),
                    item.department,
                    "{}",
                    item.name
                );
                assert!(item.guide.place.starts_with("海口市龙华区政务服务中心"));
                assert_eq!(item.guide.hours, "周一至周五 9:00-17:00（法定节假日除外）");
                assert!(item.guide.legal_basis.contains('《'));
                assert!(item.promised_days >= 1 && item.promised_days <= item.statutory_days);
                for material in &item.materials {
                    if let Some(kind) = &material.e_certificate {
                        assert!(
                            ["居民身份证", "户口簿", "营业执照", "结婚证"].contains(&kind.as_str()),
                            "{kind}"
                        );
                    }
                }
            }
        }

        #[test]
        fn birth_registration_asks_for_the_collective_card_and_the_late_reason_only_when_they_apply(
        ) {
            let catalogue = demo();
            let item = named(&catalogue, "国内出生登记");
            let family = answers(&[
                ("household", "family"),
                ("parents_married", "married"),
                ("late", "no"),
            ]);
            assert_eq!(item.check_answers(&family), Ok(()));
            let family_materials = material_ids(item, &family);
            assert!(!family_materials.contains("collective_household_card"));
            assert!(family_materials.contains("household_book"));
            assert!(!family_materials.contains("late_registration_form"));
            assert!(!field_codes(item, &family).contains(&"late_reason".to_string()));

            let collective_late = answers(&[
                ("household", "collective"),
                ("collective_type", "community"),
                ("parents_married", "married"),
                ("late", "yes"),
            ]);
            assert_eq!(item.check_answers(&collective_late), Ok(()));
            let materials = material_ids(item, &collective_late);
            assert!(materials.contains("collective_household_card"));
            assert!(!materials.contains("household_book"));
            assert!(materials.contains("late_registration_form"));
            let late_reason = item
                .fields_for(&collective_late)
                .into_iter()
                .find(|f| f.field == "late_reason")
                .expect("a late registration asks why");
            assert!(late_reason.required);
        }

        #[test]
        fn each_business_licence_change_selects_its_own_materials() {
            let catalogue = demo();
            let item = named(&catalogue, "营业执照变更登记");
            assert!(!item.kiosk);
            let sets: Vec<BTreeSet<String>> = ["name", "address", "legal_rep"]
                .iter()
                .map(|change| {
                    let answers = answers(&[
                        ("change_type", change),
                        ("company_type", "llc"),
                        ("articles_amended", "no"),
                        ("applicant", "representative"),
                    ]);
                    assert_eq!(item.check_answers(&answers), Ok(()));
                    material_ids(item, &answers)
                })
                .collect();
            assert!(sets[0].contains("name_declaration"));
            assert!(sets[1].contains("premises_lease_contract"));
            assert!(sets[2].contains("new_rep_appointment"));
            assert_ne!(sets[0], sets[1]);
            assert_ne!(sets[1], sets[2]);
            assert_ne!(sets[0], sets[2]);
            for set in &sets {
                assert!(set.contains("application_form") && set.contains("business_licence"));
            }
        }

        #[test]
        fn pinyin_is_the_initials_of_the_name() {
            // Written out by hand rather than computed: a pinyin table is not worth a dependency here.
            let expected = [
                ("居民身份证换领", "jmsfzhl"),
                ("国内出生登记", "gncsdj"),
                ("社会保障卡补领", "shbzkbl"),
                ("城乡居民基本养老保险参保登记", "cxjmjbylbxcbdj"),
                ("居住证申领", "jzzsl"),
                ("老年人优待证办理", "lnrydzbl"),
                ("生育登记", "sydj"),
                ("营业执照变更登记", "yyzzbgdj"),
                ("个体工商户注册登记", "gtgshzcdj"),
                ("食品经营许可证新办", "spjyxkzxb"),
                ("道路货物运输经营许可", "dlhwysjyxk"),
                ("住房公积金缴存明细打印", "zfgjjjcmxdy"),
                ("社会保险个人权益记录打印", "shbxgrqyjldy"),
                ("不动产登记信息查询", "bdcdjxxcx"),
                ("海南自由贸易港高层次人才认定", "hnzymyggccrcrd"),
            ];
            let catalogue = demo();
            assert_eq!(catalogue.items.len(), expected.len());
            for (name, pinyin) in expected {
                let item = named(&catalogue, name);
                assert_eq!(item.pinyin, pinyin, "{name}");
                assert_eq!(item.pinyin.chars().count(), name.chars().count(), "{name}");
            }
        }

        #[test]
        fn search_finds_items_by_pinyin_initials_and_by_name() {
            let catalogue = demo();
            let by_pinyin = catalogue.search("sfz");
            assert_eq!(
                by_pinyin.first().map(|i| i.name.as_str()),
                Some("居民身份证换领")
            );
            let by_name = catalogue.search("公积金");
            assert_eq!(by_name.len(), 1);
            assert_eq!(by_name[0].name, "住房公积金缴存明细打印");
            assert!(catalogue
                .search("登记")
                .iter()
                .any(|i| i.name == "国内出生登记"));
        }
    }
}
