using System.Globalization;

namespace GenAudit.Data;

/// <summary>
/// A user's multivariate series from a CSV file (<c>--data series:FILE.csv</c>): one row per time step, one
/// column per feature, an optional header row of names. Each column is min-max scaled to [0, 1] over the whole
/// file (TimeGAN's preprocessing; a constant column becomes 0), then cut into overlapping windows of T rows
/// (stride 1). The first 80% of rows give the training windows, the last 20% the held-out ones, so no test
/// window shares a row with a training window.
/// </summary>
public static class SeriesCsv
{
    /// <summary>Largest file read: 256 MiB.</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>Largest number of feature columns: 1,000.</summary>
    public const int MaxFeatures = 1000;

    /// <summary>Longest window: 1,000 steps.</summary>
    public const int MaxWindow = 1000;

    /// <summary>Default window length T: 24, as TimeGAN.</summary>
    public const int DefaultWindow = 24;

    /// <summary>Share of rows (from the start) whose windows form the training split: 80%.</summary>
    public const double TrainFraction = 0.8;

    /// <summary>Reads <paramref name="path"/> and returns the windows of <paramref name="split"/>.</summary>
    public static SeriesDataset Load(string path, DataSplit split, int window = DefaultWindow)
    {
        if (window is < 2 or > MaxWindow) throw new ArgumentOutOfRangeException(nameof(window), $"--window must be 2 to {MaxWindow} steps, got {window}.");
        var (rows, names) = Read(path);
        return Windows(path, rows, names, split, window);
    }

    /// <summary>The rows (R, F) of <paramref name="path"/> scaled per column to [0, 1], and the header names (or null).</summary>
    public static (float[][] Rows, IReadOnlyList<string>? Names) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file; --data series:FILE.csv needs a CSV with one row per time step and one column per feature.", path);
        var size = new FileInfo(path).Length;
        if (size > MaxFileBytes) throw new InvalidDataException($"{path}: {size} bytes; series CSV files are limited to {MaxFileBytes} bytes.");
        var rows = new List<double[]>();
        IReadOnlyList<string>? names = null;
        int columns = -1, lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            if (fields.Length > MaxFeatures) throw new InvalidDataException($"{path}, line {lineNumber}: {fields.Length} columns; at most {MaxFeatures} features are accepted.");
            if (columns < 0)
            {
                columns = fields.Length;
                if (fields.All(f => !TryNumber(f, out _)))
                {
                    names = fields.Select(f => f.Trim().Trim('"')).ToArray();
                    continue;
                }
            }
            if (fields.Length != columns)
                throw new InvalidDataException($"{path}, line {lineNumber}: {fields.Length} columns where the first row has {columns}; every row must hold one value per feature.");
            var values = new double[columns];
            for (int c = 0; c < columns; c++)
                if (!TryNumber(fields[c], out values[c]))
                    throw new InvalidDataException($"{path}, line {lineNumber}, column {c + 1}{(names is null ? "" : $" ({names[c]})")}: '{fields[c].Trim()}' is not a finite number (use '.' as the decimal point).");
            rows.Add(values);
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no data rows; give one row of numbers per time step.");
        return (Scale(rows, columns), names);
    }

    /// <summary>
    /// Writes <paramref name="count"/> sequences (N, T, F) row-major to <paramref name="path"/> atomically, one row per
    /// (sequence, step): header <c>sequence,step,</c> then the feature names (f0, f1, ... unless given).
    /// </summary>
    public static void Write(string path, ReadOnlySpan<float> values, int count, int length, int features, IReadOnlyList<string>? featureNames = null)
    {
        if (count < 0 || length < 1 || features < 1 || (long)count * length * features != values.Length)
            throw new ArgumentException($"{path}: {values.Length} values are not {count} sequences of {length} steps × {features} features.", nameof(values));
        if (featureNames is not null && featureNames.Count != features)
            throw new ArgumentException($"{path}: {featureNames.Count} feature names for {features} features.", nameof(featureNames));
        var names = featureNames ?? Enumerable.Range(0, features).Select(f => $"f{f}").ToArray();
        var csv = new System.Text.StringBuilder("sequence,step,").Append(string.Join(',', names)).Append('\n');
        for (int i = 0; i < count; i++)
            for (int t = 0; t < length; t++)
            {
                csv.Append(i.ToString(CultureInfo.InvariantCulture)).Append(',').Append(t.ToString(CultureInfo.InvariantCulture));
                for (int k = 0; k < features; k++)
                    csv.Append(',').Append(values[(i * length + t) * features + k].ToString("R", CultureInfo.InvariantCulture));
                csv.Append('\n');
            }
        GenAudit.Core.AtomicFile.WriteAllText(path, csv.ToString());
    }

    static bool TryNumber(string field, out double value) =>
        double.TryParse(field.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    static float[][] Scale(List<double[]> rows, int columns)
    {
        var scaled = new float[rows.Count][];
        for (int r = 0; r < rows.Count; r++) scaled[r] = new float[columns];
        for (int c = 0; c < columns; c++)
        {
            double min = double.PositiveInfinity, max = double.NegativeInfinity;
            foreach (var row in rows) { min = Math.Min(min, row[c]); max = Math.Max(max, row[c]); }
            var range = max - min;
            for (int r = 0; r < rows.Count; r++) scaled[r][c] = range > 0 ? (float)((rows[r][c] - min) / range) : 0f;
        }
        return scaled;
    }

    static SeriesDataset Windows(string path, float[][] rows, IReadOnlyList<string>? names, DataSplit split, int window)
    {
        int cut = (int)(rows.Length * TrainFraction);
        var (start, end) = split == DataSplit.Train ? (0, cut) : (cut, rows.Length);
        int count = end - start - window + 1;
        if (count < 1)
            throw new InvalidDataException($"{path}: the {(split == DataSplit.Train ? "training part (first 80%)" : "held-out part (last 20%)")} has {end - start} rows, fewer than one window of {window}; give more rows or a shorter --window.");
        int features = rows[0].Length;
        if ((long)count * window * features > SeriesDataset.MaxValues)
            throw new InvalidDataException($"{path}: {count} windows of {window} × {features} values exceed the limit of {SeriesDataset.MaxValues}; use a shorter --window.");
        var values = new float[count * window * features];
        for (int i = 0; i < count; i++)
            for (int t = 0; t < window; t++)
                rows[start + i + t].CopyTo(values, (i * window + t) * features);
        var name = Path.GetFileNameWithoutExtension(path) + (split == DataSplit.Train ? "" : "-test");
        return new SeriesDataset(name, values, window, features, names);
    }
}
