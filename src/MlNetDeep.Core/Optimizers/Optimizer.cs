using MlNetDeep.Layers;

namespace MlNetDeep.Optimizers;

/// <summary>
/// An update rule for parameters from their gradients, as in seed 000 §1.9 (mini-batch gradient descent,
/// momentum, RMSprop, Adam): one call to <see cref="Step(IReadOnlyList{Parameter}, float)"/> per mini-batch.
/// </summary>
/// <remarks>
/// <para>
/// Per-parameter state (velocity, squared-gradient average, …) uses PyTorch's layout: for each parameter,
/// one array per entry of <see cref="StateNames"/>, with as many values as the parameter. The state is keyed
/// by the parameter's index in the list given to <c>Step</c>, so the same list (same order) must be passed on
/// every call. It is created lazily, zero-filled, the first time a parameter is updated, and reused: a step
/// allocates nothing in steady state.
/// </para>
/// <para>
/// For checkpoints, save <see cref="Steps"/> and, for each index, <see cref="ExportState(int)"/>; restore
/// with the <see cref="Steps"/> setter and <see cref="ImportState(int, IReadOnlyList{ValueTuple{string, float[]}})"/>.
/// </para>
/// </remarks>
public abstract class Optimizer
{
    private static readonly float[][] NoState = [];

    /// <summary>From this many values an elementwise update is cut into one part per thread.</summary>
    private const int SplitValues = 32_768;

    private readonly string[] _stateNames;
    private float[][]?[] _state = [];
    private SplitUpdate? _split;
    private float _learningRate;
    private long _steps;

    /// <summary>Creates an optimizer.</summary>
    /// <param name="learningRate">The base learning rate α (α0 of a schedule); finite and non-negative.</param>
    /// <param name="stateNames">The names of the per-parameter state arrays, in PyTorch's spelling where it has one.</param>
    protected Optimizer(float learningRate, params string[] stateNames)
    {
        ArgumentNullException.ThrowIfNull(stateNames);
        LearningRate = learningRate;
        _stateNames = (string[])stateNames.Clone();
    }

    /// <summary>The base learning rate α (α0 of a learning-rate schedule). Must be finite and non-negative.</summary>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            CheckRate(value, nameof(value));
            _learningRate = value;
        }
    }

    /// <summary>
    /// The number of updates done, t. The first call of <c>Step</c> performs update t = 1 (the t of Adam's
    /// bias correction) and leaves this at 1. Settable to restore a checkpoint.
    /// </summary>
    public long Steps
    {
        get => _steps;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _steps = value;
        }
    }

    /// <summary>The names of the per-parameter state arrays (empty for plain gradient descent).</summary>
    public IReadOnlyList<string> StateNames => _stateNames;

    /// <summary>Performs one update with the base <see cref="LearningRate"/>.</summary>
    /// <param name="parameters">The parameters, in the same order on every call.</param>
    public void Step(IReadOnlyList<Parameter> parameters) => Step(parameters, _learningRate);

    /// <summary>
    /// Performs one update of every parameter that is not <see cref="Parameter.Frozen"/> from its
    /// <see cref="Parameter.Gradient"/>, with the given (for example scheduled) learning rate, and
    /// increments <see cref="Steps"/> once. Gradients are read, not cleared.
    /// </summary>
    /// <param name="parameters">The parameters, in the same order on every call.</param>
    /// <param name="learningRate">The learning rate α for this step; finite and non-negative.</param>
    public void Step(IReadOnlyList<Parameter> parameters, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckRate(learningRate, nameof(learningRate));
        var count = parameters.Count;
        if (_state.Length < count)
        {
            Array.Resize(ref _state, count);
        }

        var t = _steps + 1;
        for (var i = 0; i < count; i++)
        {
            var p = parameters[i];
            if (p.Frozen)
            {
                continue;
            }

            var value = p.Value.Span;
            var gradient = p.Gradient.Span;
            if (value.Length != gradient.Length)
            {
                throw new InvalidOperationException(
                    $"Parameter {i} ('{p.Name}') has {value.Length} values but a gradient of {gradient.Length}.");
            }

            var state = StateFor(i, p, value.Length);
            if (UpdatesEachValueAlone && value.Length >= SplitValues && Kernels.WorkerPool.MaxDegreeOfParallelism > 1 && !Kernels.WorkerPool.IsInsideJob)
            {
                (_split ??= new SplitUpdate(this)).Run(p, state, learningRate, t);
            }
            else
            {
                Update(value, gradient, state, 0, learningRate, t);
            }
        }

        _steps = t;
    }

    /// <summary>Clears all per-parameter state and sets <see cref="Steps"/> back to 0.</summary>
    public void Reset()
    {
        _state = [];
        _steps = 0;
    }

    /// <summary>
    /// Returns a copy of the state of the parameter at <paramref name="parameterIndex"/>: one entry per
    /// <see cref="StateNames"/> name, or an empty list when that parameter has no state yet (never updated,
    /// frozen, or an optimizer without state).
    /// </summary>
    /// <param name="parameterIndex">The parameter's index in the list given to <c>Step</c>.</param>
    public IReadOnlyList<(string Name, float[] Values)> ExportState(int parameterIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterIndex);
        if (parameterIndex >= _state.Length || _state[parameterIndex] is not { } arrays || arrays.Length == 0)
        {
            return [];
        }

        var result = new (string Name, float[] Values)[arrays.Length];
        for (var s = 0; s < arrays.Length; s++)
        {
            result[s] = (_stateNames[s], (float[])arrays[s].Clone());
        }

        return result;
    }

    /// <summary>
    /// Replaces the state of the parameter at <paramref name="parameterIndex"/> with a copy of
    /// <paramref name="state"/>, as returned by <see cref="ExportState(int)"/>. An empty list clears it.
    /// The lengths are checked against the parameter on the next <c>Step</c>.
    /// </summary>
    /// <param name="parameterIndex">The parameter's index in the list given to <c>Step</c>.</param>
    /// <param name="state">One entry per name of <see cref="StateNames"/> (in any order), all of the same length.</param>
    public void ImportState(int parameterIndex, IReadOnlyList<(string Name, float[] Values)> state)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterIndex);
        ArgumentNullException.ThrowIfNull(state);
        if (_state.Length <= parameterIndex)
        {
            Array.Resize(ref _state, parameterIndex + 1);
        }

        if (state.Count == 0)
        {
            _state[parameterIndex] = null;
            return;
        }

        if (state.Count != _stateNames.Length)
        {
            throw new ArgumentException(
                $"{GetType().Name} keeps {_stateNames.Length} state arrays ({string.Join(", ", _stateNames)}) per parameter, not {state.Count}.",
                nameof(state));
        }

        var arrays = new float[_stateNames.Length][];
        foreach (var (name, values) in state)
        {
            var s = Array.IndexOf(_stateNames, name);
            if (s < 0)
            {
                throw new ArgumentException(
                    $"{GetType().Name} has no state named '{name}'; expected {string.Join(", ", _stateNames)}.", nameof(state));
            }

            if (arrays[s] is not null)
            {
                throw new ArgumentException($"State '{name}' is given twice.", nameof(state));
            }

            ArgumentNullException.ThrowIfNull(values, nameof(state));
            if (values.Length != state[0].Values?.Length)
            {
                throw new ArgumentException("All state arrays of a parameter must have the same length.", nameof(state));
            }

            arrays[s] = (float[])values.Clone();
        }

        _state[parameterIndex] = arrays;
    }

    /// <summary>
    /// Updates one parameter, or one part of it, in place, in one fused, vectorised pass.
    /// </summary>
    /// <param name="value">The parameter's values [<paramref name="offset"/>, offset + value.Length), updated in place.</param>
    /// <param name="gradient">Their gradient, of the same length.</param>
    /// <param name="state">The parameter's whole state arrays, in the order of <see cref="StateNames"/>, each as long as the
    /// parameter; the part to use starts at <paramref name="offset"/>.</param>
    /// <param name="offset">Where <paramref name="value"/> starts in the parameter: 0 unless
    /// <see cref="UpdatesEachValueAlone"/> let <see cref="Step(IReadOnlyList{Parameter}, float)"/> cut the parameter.</param>
    /// <param name="learningRate">The learning rate α of this step.</param>
    /// <param name="step">The 1-based number t of this update.</param>
    protected abstract void Update(Span<float> value, ReadOnlySpan<float> gradient, float[][] state, int offset, float learningRate, long step);

    /// <summary>
    /// True when <see cref="Update"/> computes each value from the values at its own position alone (plain, momentum,
    /// RMSprop and Adam updates do): a parameter of 32k values or more is then cut into one contiguous part per thread of
    /// <see cref="Kernels.WorkerPool"/> (same bits). False by default, for updates that look at a whole parameter.
    /// </summary>
    protected virtual bool UpdatesEachValueAlone => false;

    /// <summary>Throws unless <paramref name="value"/> is finite and in [0, 1) (a decay rate β).</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The parameter name for the exception.</param>
    protected static void CheckBeta(float value, string name)
    {
        if (!(value >= 0f && value < 1f))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1).");
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and positive (an ε).</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The parameter name for the exception.</param>
    protected static void CheckEpsilon(float value, string name)
    {
        if (!(value > 0f && float.IsFinite(value)))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and positive.");
        }
    }

    /// <summary>
    /// Returns the decimal number a float hyper-parameter was written as (0.999f → 0.999), in double.
    /// A float β is off in its 8th significant digit, so <c>1f − β</c> is off by up to 0.1% when β is near 1
    /// (1f − 0.99999f = 1.0014e-5); PyTorch, whose hyper-parameters are Python doubles, computes 1 − β and
    /// the bias corrections 1 − β^t in double, and so do we from this value.
    /// </summary>
    /// <param name="value">The hyper-parameter.</param>
    protected static double DecimalValue(float value) => (double)(decimal)value;

    private static void CheckRate(float value, string name)
    {
        if (!(value >= 0f && float.IsFinite(value)))
        {
            throw new ArgumentOutOfRangeException(name, value, "The learning rate must be finite and non-negative.");
        }
    }

    private float[][] StateFor(int index, Parameter p, int length)
    {
        if (_stateNames.Length == 0)
        {
            return NoState;
        }

        var arrays = _state[index];
        if (arrays is null)
        {
            arrays = new float[_stateNames.Length][];
            for (var s = 0; s < arrays.Length; s++)
            {
                arrays[s] = new float[length];
            }

            _state[index] = arrays;
        }
        else if (arrays[0].Length != length)
        {
            throw new InvalidOperationException(
                $"Parameter {index} ('{p.Name}') has {length} values but the optimizer's state for index {index} has " +
                $"{arrays[0].Length}; pass the same parameter list on every step, or call Reset() when it changes.");
        }

        return arrays;
    }

    /// <summary>
    /// One parameter's update in one contiguous part per thread. The update is bound by memory (a weight, its gradient and
    /// up to two state arrays), and a gradient just written by a GEMM on two cores sits half in each core's cache: Adam on
    /// the 784-256-128-10 MLP took 394 µs a step on the calling thread with 2 pool threads (more than the 164 µs of a
    /// one-thread run) and 189 µs cut in two.
    /// </summary>
    private sealed class SplitUpdate(Optimizer optimizer) : Kernels.ParallelJob
    {
        private Parameter? _parameter;
        private float[][]? _state;
        private float _learningRate;
        private long _step;
        private int _parts;

        public void Run(Parameter parameter, float[][] state, float learningRate, long step)
        {
            (_parameter, _state, _learningRate, _step) = (parameter, state, learningRate, step);
            _parts = Kernels.WorkerPool.MaxDegreeOfParallelism;
            try
            {
                Kernels.WorkerPool.For(_parts, this);
            }
            finally
            {
                (_parameter, _state) = (null, null);
            }
        }

        public override void Execute(int index)
        {
            var length = _parameter!.Value.Length;
            var start = Kernels.WorkerPool.PartStart(index, _parts, length);
            var count = Kernels.WorkerPool.PartStart(index + 1, _parts, length) - start;
            optimizer.Update(_parameter.Value.Span.Slice(start, count), _parameter.Gradient.Span.Slice(start, count), _state!, start, _learningRate, _step);
        }
    }
}
