//! The named sub-vectors of a [`DocVector`](crate::DocVector), and one value per sub-vector.

use serde::{Deserialize, Serialize};

use crate::model::DocVector;
use crate::vector::SparseVec;

/// A sub-vector of a [`DocVector`]: the signals are a table indexed by field, so adding one
/// touches this enum, [`DocVector::fields`] and the merge model's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Field {
    /// Title (counted twice) and body terms.
    Body,
    /// Title and lead terms.
    Head,
    /// Entity keys.
    Entities,
    /// Body terms without entity-name terms.
    Plain,
    /// Title and lead terms without entity-name terms.
    HeadPlain,
    /// Person keys.
    Persons,
    /// All-digit terms.
    Numbers,
}

impl Field {
    /// Every field, in the order of [`DocVector::fields`].
    pub const ALL: [Field; 7] = [
        Field::Body,
        Field::Head,
        Field::Entities,
        Field::Plain,
        Field::HeadPlain,
        Field::Persons,
        Field::Numbers,
    ];

    /// The number of fields.
    pub const COUNT: usize = Field::ALL.len();

    /// The field's name, as the merge model's feature names spell it.
    pub fn name(self) -> &'static str {
        match self {
            Field::Body => "body",
            Field::Head => "head",
            Field::Entities => "entities",
            Field::Plain => "plain",
            Field::HeadPlain => "head_plain",
            Field::Persons => "persons",
            Field::Numbers => "numbers",
        }
    }
}

/// One value per [`Field`] (norms, cosines), indexed by field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PerField([f32; Field::COUNT]);

impl PerField {
    /// Every value 0.
    pub const ZERO: PerField = PerField([0.0; Field::COUNT]);

    /// The norms of `v`'s sub-vectors.
    pub fn norms(v: &DocVector) -> PerField {
        PerField(v.fields().map(SparseVec::norm))
    }

    /// The cosines of `a`'s and `b`'s sub-vectors, given both sides' norms.
    pub fn cosines(a: &DocVector, na: &PerField, b: &DocVector, nb: &PerField) -> PerField {
        let (fa, fb) = (a.fields(), b.fields());
        PerField(Field::ALL.map(|f| {
            let i = f as usize;
            fa[i].cosine_with_norms(na.0[i], fb[i], nb.0[i])
        }))
    }

    /// The values in field order.
    pub fn values(&self) -> &[f32; Field::COUNT] {
        &self.0
    }
}

impl std::ops::Index<Field> for PerField {
    type Output = f32;
    fn index(&self, f: Field) -> &f32 {
        &self.0[f as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_the_doc_vector_and_the_merge_model_names() {
        for (i, f) in Field::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
            assert_eq!(crate::merge::FEATURE_NAMES[i], f.name());
        }
    }
}
