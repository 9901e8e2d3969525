#nullable enable
// Build-time fix that lets TorchSharp's native glue library load on Linux systems whose libstdc++
// predates GCC 13 (Debian 12 ships GLIBCXX_3.4.30).
//
// libLibTorchSharp.so asks for one symbol at version GLIBCXX_3.4.32: std::ios_base_library_init(),
// which GCC 13 headers reference only to pin the library version; an older libstdc++ initialises
// iostreams itself, so nothing needs the call. The patch, applied to a *copy* in the build output:
//   (a) marks the GLIBCXX_3.4.32 requirement in .gnu.version_r as weak (VER_FLG_WEAK), so the
//       loader only notes that it is missing;
//   (b) renames that one undefined symbol in .dynstr, in place, to a libc function that takes no
//       arguments (sched_yield), and gives it the global version index 1 in .gnu.version.
//
// This file is compiled twice: by MSBuild as an inline task (Directory.Build.targets) and by the
// test project (with GENAUDIT_TESTS defined, which leaves the MSBuild task class out). It targets
// netstandard2.0, so it avoids Span and File.Move(..., overwrite).
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

/// <summary>Outcome of <see cref="LibStdCxxCompat.Patch"/>.</summary>
public enum LibStdCxxPatchResult
{
    /// <summary>The file was rewritten.</summary>
    Patched,
    /// <summary>The file already carries the patch; nothing was written.</summary>
    AlreadyPatched,
    /// <summary>The file does not require GLIBCXX_3.4.32; nothing was written.</summary>
    NotNeeded,
}

/// <summary>Reads and patches the ELF version requirements of libLibTorchSharp.so.</summary>
public static class LibStdCxxCompat
{
    /// <summary>The version that Debian 12's libstdc++ lacks.</summary>
    public const string MissingVersion = "GLIBCXX_3.4.32";

    /// <summary>The only symbol TorchSharp needs at that version.</summary>
    public const string MissingSymbol = "_ZSt21ios_base_library_initv";

    /// <summary>The argument-less libc function the symbol is redirected to.</summary>
    public const string Replacement = "sched_yield";

    const uint ShtDynsym = 11;
    const uint ShtGnuVerneed = 0x6ffffffe;
    const uint ShtGnuVersym = 0x6fffffff;
    const ushort VerFlgWeak = 2;

    static readonly string[] LibStdCxxLocations =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    /// <summary>
    /// True when the system's libstdc++ is found and does not define <see cref="MissingVersion"/>.
    /// A system with no libstdc++ in the usual places is left alone (nothing to compare against).
    /// </summary>
    public static bool SystemLibStdCxxLacksVersion(out string? libraryPath)
    {
        foreach (var candidate in LibStdCxxLocations)
        {
            if (!File.Exists(candidate)) continue;
            libraryPath = candidate;
            return IndexOf(File.ReadAllBytes(candidate), Encoding.ASCII.GetBytes(MissingVersion + "\0"), 0) < 0;
        }
        libraryPath = null;
        return false;
    }

    /// <summary>Patches the library at <paramref name="path"/> in place (atomically) when needed.</summary>
    public static LibStdCxxPatchResult Patch(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var result = PatchBytes(bytes, path);
        if (result != LibStdCxxPatchResult.Patched) return result;

        var temp = path + ".genaudit-tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush(true);
        }
        File.Copy(temp, path, true);
        File.Delete(temp);
        return result;
    }

    /// <summary>
    /// Patches an ELF image held in memory. Every structure is checked before any byte changes, so
    /// a file this code does not understand is reported and left untouched.
    /// </summary>
    public static LibStdCxxPatchResult PatchBytes(byte[] elf, string nameForErrors)
    {
        var image = new ElfImage(elf, nameForErrors);
        var verneed = image.SingleSection(ShtGnuVerneed, ".gnu.version_r");
        var dynsym = image.SingleSection(ShtDynsym, ".dynsym");
        var versym = image.SingleSection(ShtGnuVersym, ".gnu.version");
        var dynstr = image.Section((int)dynsym.Link, ".dynstr (link of .dynsym)");
        var verneedStrings = image.Section((int)verneed.Link, "string table of .gnu.version_r");

        // Find the vernaux entry naming the missing version.
        long auxOffset = -1;
        ushort versionIndex = 0;
        long need = verneed.Offset;
        for (int n = 0; n < verneed.Info; n++)
        {
            image.Require(need, 16, ".gnu.version_r entry");
            ushort count = image.U16(need + 2);
            long aux = need + image.U32(need + 8);
            for (int a = 0; a < count; a++)
            {
                image.Require(aux, 16, ".gnu.version_r auxiliary entry");
                var name = image.CString(verneedStrings.Offset + image.U32(aux + 8), verneedStrings);
                if (name == MissingVersion)
                {
                    auxOffset = aux;
                    versionIndex = (ushort)(image.U16(aux + 6) & 0x7fff);
                }
                uint nextAux = image.U32(aux + 12);
                if (nextAux == 0) break;
                aux += nextAux;
            }
            uint nextNeed = image.U32(need + 12);
            if (nextNeed == 0) break;
            need += nextNeed;
        }
        if (auxOffset < 0) return LibStdCxxPatchResult.NotNeeded;

        if (dynsym.EntrySize != 24) throw image.Fail($".dynsym entry size is {dynsym.EntrySize}, expected 24 (ELF64)");
        long symbolCount = dynsym.Size / 24;
        if (versym.Size != symbolCount * 2) throw image.Fail($".gnu.version holds {versym.Size / 2} entries but .dynsym holds {symbolCount}");

        var users = new List<long>();
        for (long i = 0; i < symbolCount; i++)
        {
            if ((image.U16(versym.Offset + 2 * i) & 0x7fff) == versionIndex) users.Add(i);
        }

        bool weak = (image.U16(auxOffset + 4) & VerFlgWeak) != 0;
        if (users.Count == 0 && weak) return LibStdCxxPatchResult.AlreadyPatched;
        if (users.Count != 1)
            throw image.Fail($"expected exactly one symbol at {MissingVersion}, found {users.Count}; this TorchSharp build needs a different fix");

        long symbol = dynsym.Offset + users[0] * 24;
        long nameOffset = dynstr.Offset + image.U32(symbol);
        var symbolName = image.CString(nameOffset, dynstr);
        if (symbolName != MissingSymbol)
            throw image.Fail($"the symbol at {MissingVersion} is '{symbolName}', expected '{MissingSymbol}'");
        if (image.U16(symbol + 6) != 0)
            throw image.Fail($"'{MissingSymbol}' is defined in this file, expected an undefined import");

        // The name is overwritten in place, so no other symbol may share its bytes (string-table
        // suffix merging). Check every dynamic symbol name and every version name.
        long nameEnd = nameOffset + MissingSymbol.Length;
        for (long i = 0; i < symbolCount; i++)
        {
            if (i == users[0]) continue;
            long other = dynstr.Offset + image.U32(dynsym.Offset + i * 24);
            if (other >= nameOffset && other <= nameEnd)
                throw image.Fail($"the name '{MissingSymbol}' shares bytes with another symbol name; refusing to overwrite it");
        }

        // All checks passed: write.
        var replacement = Encoding.ASCII.GetBytes(Replacement);
        Array.Copy(replacement, 0, elf, nameOffset, replacement.Length);
        for (long p = nameOffset + replacement.Length; p <= nameEnd; p++) elf[p] = 0;
        image.WriteU16(versym.Offset + 2 * users[0], 1);
        image.WriteU16(auxOffset + 4, (ushort)(image.U16(auxOffset + 4) | VerFlgWeak));
        return LibStdCxxPatchResult.Patched;
    }

    static int IndexOf(byte[] haystack, byte[] needle, int start)
    {
        for (int i = start; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    sealed class SectionHeader
    {
        public uint Type;
        public long Offset;
        public long Size;
        public uint Link;
        public uint Info;
        public long EntrySize;
    }

    sealed class ElfImage
    {
        readonly byte[] _bytes;
        readonly string _name;
        readonly List<SectionHeader> _sections = new List<SectionHeader>();

        public ElfImage(byte[] bytes, string name)
        {
            _bytes = bytes;
            _name = name;
            if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
                throw Fail("not an ELF file");
            if (bytes[4] != 2) throw Fail("not a 64-bit ELF file");
            if (bytes[5] != 1) throw Fail("not a little-endian ELF file");
            if (U16(18) != 62) throw Fail($"machine is {U16(18)}, expected x86-64 (62)");

            long sectionTable = (long)U64(0x28);
            ushort entrySize = U16(0x3A);
            ushort count = U16(0x3C);
            if (entrySize != 64) throw Fail($"section header size is {entrySize}, expected 64");
            Require(sectionTable, (long)count * 64, "section header table");
            for (int i = 0; i < count; i++)
            {
                long h = sectionTable + 64L * i;
                var section = new SectionHeader
                {
                    Type = U32(h + 4),
                    Offset = (long)U64(h + 24),
                    Size = (long)U64(h + 32),
                    Link = U32(h + 40),
                    Info = U32(h + 44),
                    EntrySize = (long)U64(h + 56),
                };
                if (section.Type != 8) Require(section.Offset, section.Size, $"section {i}"); // 8 = NOBITS
                _sections.Add(section);
            }
        }

        public SectionHeader SingleSection(uint type, string what)
        {
            SectionHeader? found = null;
            foreach (var s in _sections)
            {
                if (s.Type != type) continue;
                if (found != null) throw Fail($"more than one {what} section");
                found = s;
            }
            return found ?? throw Fail($"no {what} section");
        }

        public SectionHeader Section(int index, string what)
        {
            if (index <= 0 || index >= _sections.Count) throw Fail($"{what} points at section {index}, which does not exist");
            return _sections[index];
        }

        public void Require(long offset, long length, string what)
        {
            if (offset < 0 || length < 0 || offset + length > _bytes.Length)
                throw Fail($"{what} at offset {offset} (+{length} bytes) lies outside the file ({_bytes.Length} bytes); the file is truncated or not a shared library");
        }

        public string CString(long offset, SectionHeader table)
        {
            if (offset < table.Offset || offset >= table.Offset + table.Size) throw Fail($"string offset {offset} lies outside its string table");
            long end = offset;
            while (end < table.Offset + table.Size && _bytes[end] != 0) end++;
            if (end == table.Offset + table.Size) throw Fail($"string at offset {offset} is not terminated");
            return Encoding.ASCII.GetString(_bytes, (int)offset, (int)(end - offset));
        }

        public ushort U16(long o) { Require(o, 2, "field"); return BitConverter.ToUInt16(_bytes, (int)o); }
        public uint U32(long o) { Require(o, 4, "field"); return BitConverter.ToUInt32(_bytes, (int)o); }
        public ulong U64(long o) { Require(o, 8, "field"); return BitConverter.ToUInt64(_bytes, (int)o); }

        public void WriteU16(long o, ushort value)
        {
            Require(o, 2, "field");
            _bytes[o] = (byte)(value & 0xff);
            _bytes[o + 1] = (byte)(value >> 8);
        }

        public InvalidDataException Fail(string message) => new InvalidDataException($"{_name}: {message}");
    }
}

#if !GENAUDIT_TESTS
/// <summary>MSBuild task: patches libLibTorchSharp.so in a build or publish output folder.</summary>
public class PatchLibTorchSharp : Microsoft.Build.Utilities.Task
{
    /// <summary>Path of the copy of libLibTorchSharp.so in the output folder.</summary>
    [Microsoft.Build.Framework.Required]
    public string LibraryPath { get; set; } = "";

    public override bool Execute()
    {
        if (!File.Exists(LibraryPath)) return true;
        if (!LibStdCxxCompat.SystemLibStdCxxLacksVersion(out var system))
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                system == null ? "GenAudit: no system libstdc++ found; libLibTorchSharp.so left as shipped"
                               : $"GenAudit: {system} defines {LibStdCxxCompat.MissingVersion}; libLibTorchSharp.so left as shipped");
            return true;
        }
        try
        {
            var result = LibStdCxxCompat.Patch(LibraryPath);
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                $"GenAudit: {LibraryPath}: {result} (system {system} lacks {LibStdCxxCompat.MissingVersion})");
            return true;
        }
        catch (Exception e)
        {
            Log.LogError($"GenAudit could not make libLibTorchSharp.so loadable on this system: {e.Message}");
            return false;
        }
    }
}
#endif
