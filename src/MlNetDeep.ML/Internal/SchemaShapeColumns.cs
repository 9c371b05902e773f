using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Creates <see cref="SchemaShape.Column"/> values. Microsoft.ML 5.0.1 gives the struct no public constructor, yet an
/// estimator's <c>GetOutputSchema</c> must add its new columns; the verified route (DESIGN.md) is to box a default
/// column and set its public readonly fields by reflection. Kept in this one place, with a test, so that an ML.NET
/// upgrade that breaks it fails loudly.
/// </summary>
internal static class SchemaShapeColumns
{
    private static readonly FieldInfo NameField = Field(nameof(SchemaShape.Column.Name));
    private static readonly FieldInfo KindField = Field(nameof(SchemaShape.Column.Kind));
    private static readonly FieldInfo ItemTypeField = Field(nameof(SchemaShape.Column.ItemType));
    private static readonly FieldInfo IsKeyField = Field(nameof(SchemaShape.Column.IsKey));
    private static readonly FieldInfo AnnotationsField = Field(nameof(SchemaShape.Column.Annotations));

    public static SchemaShape.Column Create(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations = null)
    {
        object boxed = default(SchemaShape.Column);
        NameField.SetValue(boxed, name);
        KindField.SetValue(boxed, kind);
        ItemTypeField.SetValue(boxed, itemType);
        IsKeyField.SetValue(boxed, isKey);
        AnnotationsField.SetValue(boxed, annotations ?? new SchemaShape([]));
        return (SchemaShape.Column)boxed;
    }

    /// <summary>The last column named <paramref name="name"/> (the visible one), or null.</summary>
    public static SchemaShape.Column? Find(SchemaShape shape, string name)
    {
        var found = shape.LastOrDefault(c => c.Name == name);
        return found.Name is null ? null : found;
    }

    /// <summary>The input shape with <paramref name="added"/> appended, replacing columns of the same name.</summary>
    public static SchemaShape Append(SchemaShape input, IEnumerable<SchemaShape.Column> added)
    {
        var list = added.ToList();
        var names = list.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return new SchemaShape([.. input.Where(c => !names.Contains(c.Name)), .. list]);
    }

    private static FieldInfo Field(string name) =>
        typeof(SchemaShape.Column).GetField(name, BindingFlags.Instance | BindingFlags.Public)
        ?? throw new InvalidOperationException($"Microsoft.ML changed: SchemaShape.Column has no public field '{name}'.");
}
