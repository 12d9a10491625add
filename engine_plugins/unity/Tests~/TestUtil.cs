using System;
using System.Collections.Generic;

namespace FacePlex.Tests
{
    /// <summary>Tiny test harness: named checks, PASS/FAIL lines, a SUMMARY line, exit code.</summary>
    public static class T
    {
        public static int Passed, Failed;

        public static void Run(string name, Action body)
        {
            try { body(); Passed++; Console.WriteLine("PASS " + name); }
            catch (Exception e) { Failed++; Console.WriteLine("FAIL " + name + ": " + e.GetType().Name + ": " + e.Message); }
        }

        public static void Check(bool cond, string what) { if (!cond) throw new Exception("check failed: " + what); }

        public static void Eq<TV>(TV expected, TV actual, string what)
        {
            if (!EqualityComparer<TV>.Default.Equals(expected, actual))
                throw new Exception(what + ": expected " + expected + ", got " + actual);
        }

        public static void Throws<TE>(Action body, string what) where TE : Exception
        {
            try { body(); }
            catch (TE) { return; }
            throw new Exception(what + ": expected " + typeof(TE).Name);
        }

        public static int Summary()
        {
            Console.WriteLine("SUMMARY passed=" + Passed + " failed=" + Failed);
            return Failed == 0 ? 0 : 1;
        }

        public static string Hex(byte[] b, int n = -1)
        {
            if (n < 0) n = b.Length;
            var sb = new System.Text.StringBuilder();
            for (int i = 0; i < n; i++) sb.Append(b[i].ToString("x2"));
            return sb.ToString();
        }
    }
}
