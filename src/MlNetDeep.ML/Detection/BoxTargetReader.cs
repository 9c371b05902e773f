using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Internal;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Detection;

/// <summary>
/// Reads a detection row in the column conventions of ML.NET's TorchSharp ObjectDetection trainer — a label column that
/// is a vector of text (one class name per object) and a box column that is a vector of Single (xmin, ymin, xmax, ymax
/// per object, in pixels) — into the BoxTargets layout, [maxObjects, 5] of (class index, xmin, ymin, xmax, ymax) with
/// class −1 in the unused slots. A row whose boxes cannot be objects is an <see cref="InvalidDataException"/> naming the
/// row and the column: a box count that is not a multiple of 4, a label count other than the box count, a non-finite
/// corner, xmax &lt; xmin or ymax &lt; ymin, an unknown class name, or more objects than maxObjects.
/// </summary>
internal sealed class BoxTargetReader : TargetReader
{
    private readonly string _label;
    private readonly string _box;
    private readonly Dictionary<string, int> _classes;
    private readonly int _maxObjects;

    /// <summary>Creates the reader.</summary>
    /// <param name="labelColumn">The text-vector column of class names.</param>
    /// <param name="boxColumn">The Single-vector column of boxes.</param>
    /// <param name="classNames">The class names, indexed by class.</param>
    /// <param name="maxObjects">The most objects a row may hold.</param>
    public BoxTargetReader(string labelColumn, string boxColumn, IReadOnlyList<string> classNames, int maxObjects)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxObjects, 1);
        _label = labelColumn;
        _box = boxColumn;
        _classes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < classNames.Count; i++)
        {
            _classes.Add(classNames[i], i);
        }

        _maxObjects = maxObjects;
    }

    public override int[] Shape => [_maxObjects, BoxTargets.ValuesPerObject];

    public override SpatialTargets? Spatial { get; } = new BoxTargets();

    public override IReadOnlyList<DataViewSchema.Column> Columns(DataViewSchema schema)
    {
        var label = schema.GetColumnOrNull(_label) ?? throw new ArgumentException($"The data have no column '{_label}' for the objects' class names.");
        var box = schema.GetColumnOrNull(_box) ?? throw new ArgumentException($"The data have no column '{_box}' for the objects' boxes.");
        if (label.Type is not VectorDataViewType { ItemType: TextDataViewType })
        {
            throw new ArgumentException($"Column '{_label}' must be a vector of text (one class name per object); it is {label.Type}.");
        }

        if (box.Type is not VectorDataViewType { ItemType: NumberDataViewType n } || n != NumberDataViewType.Single)
        {
            throw new ArgumentException($"Column '{_box}' must be a vector of Single (xmin, ymin, xmax, ymax per object); it is {box.Type}.");
        }

        return [label, box];
    }

    public override string Describe(DataViewSchema schema) =>
        $"{_label}|{schema[_label].Type}|{_box}|{schema[_box].Type}|{_maxObjects}|{string.Join(",", _classes.OrderBy(c => c.Value).Select(c => c.Key))}";

    public override TargetGetter Bind(DataViewRow row)
    {
        var labels = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(row.Schema[_label]);
        var boxes = row.GetGetter<VBuffer<float>>(row.Schema[_box]);
        VBuffer<ReadOnlyMemory<char>> names = default;
        VBuffer<float> corners = default;
        return (destination, index, role) =>
        {
            labels(ref names);
            boxes(ref corners);
            Write(names, corners, destination, index, role);
        };
    }

    /// <summary>The distinct class names of the label column over all rows, in ordinal order.</summary>
    public static string[] ClassNames(IDataView data, string labelColumn)
    {
        var column = data.Schema.GetColumnOrNull(labelColumn) ?? throw new ArgumentException($"The data have no column '{labelColumn}' for the objects' class names.");
        if (column.Type is not VectorDataViewType { ItemType: TextDataViewType })
        {
            throw new ArgumentException($"Column '{labelColumn}' must be a vector of text (one class name per object); it is {column.Type}.");
        }

        var names = new SortedSet<string>(StringComparer.Ordinal);
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
        VBuffer<ReadOnlyMemory<char>> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            foreach (var name in value.DenseValues())
            {
                names.Add(name.ToString());
            }
        }

        return names.Count > 0 ? [.. names] : throw new ArgumentException($"Column '{labelColumn}' names no object in any row.");
    }

    private void Write(in VBuffer<ReadOnlyMemory<char>> names, in VBuffer<float> corners, Span<float> destination, long row, string role)
    {
        var values = corners.IsDense ? corners.GetValues() : corners.DenseValues().ToArray();
        if (values.Length % 4 != 0)
        {
            throw Bad(row, role, _box, $"has {values.Length} values; expected 4 per object (xmin, ymin, xmax, ymax)");
        }

        var objects = values.Length / 4;
        if (names.Length != objects)
        {
            throw Bad(row, role, _label, $"has {names.Length} class names but column '{_box}' has {objects} boxes; expected one name per box");
        }

        if (objects > _maxObjects)
        {
            throw Bad(row, role, _box, $"has {objects} objects; this trainer takes at most {_maxObjects} an image");
        }

        destination.Clear();
        var k = 0;
        foreach (var name in names.DenseValues())
        {
            var (x0, y0, x1, y1) = (values[4 * k], values[(4 * k) + 1], values[(4 * k) + 2], values[(4 * k) + 3]);
            if (!float.IsFinite(x0) || !float.IsFinite(y0) || !float.IsFinite(x1) || !float.IsFinite(y1) || x1 < x0 || y1 < y0)
            {
                throw Bad(row, role, _box, Say($"has box {k} = ({x0}, {y0}, {x1}, {y1}); expected finite corners with xmin ≤ xmax and ymin ≤ ymax"));
            }

            if (!_classes.TryGetValue(name.ToString(), out var cls))
            {
                throw Bad(row, role, _label, $"names class '{name}' for object {k}; the classes are {string.Join(", ", _classes.Keys)}");
            }

            var slot = destination.Slice(k * BoxTargets.ValuesPerObject, BoxTargets.ValuesPerObject);
            (slot[0], slot[1], slot[2], slot[3], slot[4]) = (cls, x0, y0, x1, y1);
            k++;
        }

        for (; k < _maxObjects; k++)
        {
            destination[k * BoxTargets.ValuesPerObject] = -1;
        }
    }

    private static InvalidDataException Bad(long row, string role, string column, string what) =>
        new(Say($"Row {row} of the {role} data: column '{column}' {what}."));

    private static string Say(FormattableString message) => message.ToString(CultureInfo.InvariantCulture);
}
