using System.IO;
using System.Security.Cryptography;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>A file's content hash: read once, sequentially, sharing the file with whoever else has it open.</summary>
    internal static class FileHash
    {
        public static byte[] Sha256(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, System.IO.FileShare.ReadWrite | System.IO.FileShare.Delete, 1024 * 1024, FileOptions.SequentialScan);
            using var sha = SHA256.Create();
            return sha.ComputeHash(stream);
        }
    }
}
