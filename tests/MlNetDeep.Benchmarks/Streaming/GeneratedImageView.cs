using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetDeep.Benchmarks.Streaming;

/// <summary>
/// A data view whose rows are made on demand and never stored: row <c>i</c> has <c>Features</c>, a CHW image of
/// <c>Vector&lt;Single, C, H, W&gt;</c> made from (seed, i) when its getter is called, <c>Label</c>, a key of
/// <c>classes</c> values, and <c>Name</c>, the text <c>row-i</c>. The class shows in the image (a bright horizontal band
/// at a height set by the class, over noise), so a network can learn it. Values are multiples of 1/255 (8-bit) unless
/// <c>eightBit</c> is false. Shared by the streaming tests and the streaming benchmark command.
/// </summary>
internal sealed class GeneratedImageView : IDataView
{
    private readonly int _rows;
    private readonly int _classes;
    private readonly ulong _seed;
    private readonly bool _eightBit;
    private readonly bool _knownRowCount;
    private long _featuresMade;
    private int _cursors;

    public GeneratedImageView(int rows, int channels, int height, int width, int classes, ulong seed, bool eightBit = true, bool knownRowCount = true)
    {
        _rows = rows;
        Channels = channels;
        Height = height;
        Width = width;
        _classes = classes;
        _seed = seed;
        _eightBit = eightBit;
        _knownRowCount = knownRowCount;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, channels, height, width));
        var keyValues = new DataViewSchema.Annotations.Builder();
        ReadOnlyMemory<char>[] names = [.. Enumerable.Range(0, classes).Select(c => $"class{c}".AsMemory())];
        keyValues.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, classes),
            (ref VBuffer<ReadOnlyMemory<char>> v) => new VBuffer<ReadOnlyMemory<char>>(classes, names).CopyTo(ref v));
        builder.AddColumn("Label", new KeyDataViewType(typeof(uint), classes), keyValues.ToAnnotations());
        builder.AddColumn("Name", TextDataViewType.Instance);
        Schema = builder.ToSchema();
    }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>A row whose features getter throws <see cref="IOException"/>, or −1.</summary>
    public long FailAt { get; init; } = -1;

    /// <summary>Noise on every pixel (true by default); without it an image is two flat values, as fast to make as a memset.</summary>
    public bool Noise { get; init; } = true;

    /// <summary>Called with the row index whenever a cursor moves to a row.</summary>
    public Action<long>? OnRow { get; init; }

    /// <summary>Feature vectors made so far (getter calls).</summary>
    public long FeaturesMade => Interlocked.Read(ref _featuresMade);

    /// <summary>Cursors opened so far.</summary>
    public int Cursors => Volatile.Read(ref _cursors);

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _knownRowCount ? _rows : null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        Interlocked.Increment(ref _cursors);
        return new Cursor(this, columnsNeeded);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

    /// <summary>The class of row <paramref name="row"/>, 0-based.</summary>
    public int ClassOf(long row) => (int)(Mix(_seed ^ (ulong)row) % (ulong)_classes);

    /// <summary>Writes row <paramref name="row"/>'s image into <paramref name="image"/>.</summary>
    public void Draw(long row, Span<float> image)
    {
        var label = ClassOf(row);
        var band = (int)((label + 0.5) * Height / _classes);
        var plane = Height * Width;
        var state = Mix(Mix(_seed) ^ (ulong)row);
        for (var c = 0; c < Channels; c++)
        {
            for (var y = 0; y < Height; y++)
            {
                var bright = Math.Abs(y - band) <= Math.Max(1, Height / (4 * _classes));
                var offset = (c * plane) + (y * Width);
                if (!Noise)
                {
                    image.Slice(offset, Width).Fill(bright ? 0.6f : 0.1f);
                    continue;
                }

                for (var x = 0; x < Width; x++)
                {
                    state = (state * 6364136223846793005UL) + 1442695040888963407UL;
                    var noise = (float)((state >> 40) * (1.0 / (1UL << 24)));
                    var value = (bright ? 0.6f : 0.1f) + (0.3f * noise);
                    image[offset + x] = _eightBit ? MathF.Round(value * 255f) / 255f : value;
                }
            }
        }
    }

    private static ulong Mix(ulong x)
    {
        var z = x + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly GeneratedImageView _view;
        private readonly bool[] _active;
        private long _position = -1;

        public Cursor(GeneratedImageView view, IEnumerable<DataViewSchema.Column> columns)
        {
            _view = view;
            _active = new bool[view.Schema.Count];
            foreach (var column in columns)
            {
                _active[column.Index] = true;
            }
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._rows)
            {
                return false;
            }

            _position++;
            _view.OnRow?.Invoke(_position);
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index])
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active.");
            }

            Delegate getter = column.Name switch
            {
                "Features" => (ValueGetter<VBuffer<float>>)Features,
                "Label" => (ValueGetter<uint>)((ref uint v) => v = (uint)_view.ClassOf(_position) + 1),
                _ => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = $"row-{_position}".AsMemory()),
            };
            return (ValueGetter<TValue>)getter;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId v) => v = new DataViewRowId((ulong)_position, 0);

        private void Features(ref VBuffer<float> value)
        {
            if (_position == _view.FailAt)
            {
                throw new IOException($"The image of row {_position} could not be read (simulated).");
            }

            Interlocked.Increment(ref _view._featuresMade);
            var size = _view.Channels * _view.Height * _view.Width;
            var editor = VBufferEditor.Create(ref value, size);
            _view.Draw(_position, editor.Values);
            value = editor.Commit();
        }
    }
}
