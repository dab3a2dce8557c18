#include "TestSupport.h"
#include "core/common/Time.h"

using namespace spotwise;

class TimeTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void parsesDatesAndTimes() {
    QCOMPARE(*parseIso8601Utc("1970-01-01"), std::int64_t{0});
    QCOMPARE(*parseIso8601Utc("2026-11-28"), std::int64_t{1795824000});
    QCOMPARE(*parseIso8601Utc("2013-12-28T12:17:43.000Z"), std::int64_t{1388233063});
    QCOMPARE(*parseIso8601Utc("2024-02-29T23:59:59Z"), std::int64_t{1709251199});
    // A leap second counts as the next second; the last instant with a four-digit year is the limit.
    QCOMPARE(*parseIso8601Utc("2016-12-31T23:59:60Z"), *parseIso8601Utc("2017-01-01T00:00:00Z"));
    QCOMPARE(*parseIso8601Utc("9999-12-31T23:59:59Z"), std::int64_t{253402300799});
    QVERIFY(!parseIso8601Utc("9999-12-31T23:59:60.123Z"));  // would be year 10000 (Iso8601Fuzzer)
  }

  void rejectsMalformed() {
    for (const char* bad : {"", "2026", "2026-13-01", "2023-02-29", "2026-11-28T25:00:00Z", "2026-11-28T10:00:00",
                            "2026-11-28T10:00:00+01:00", "2026-11-28x"}) {
      QVERIFY2(!parseIso8601Utc(bad), bad);
    }
  }

  void formatsRoundTrip() {
    QCOMPARE(formatIso8601Utc(1388233063), std::string("2013-12-28T12:17:43Z"));
    QCOMPARE(formatIsoDateUtc(1795824000), std::string("2026-11-28"));
    QCOMPARE(formatIso8601Utc(-1), std::string("1969-12-31T23:59:59Z"));
  }
};

QTEST_APPLESS_MAIN(TimeTest)
#include "TimeTest.moc"
