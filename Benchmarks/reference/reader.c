/* The hand-written C reference for `journey inspect` (issue 16): the least work a careful reader
 * of a transaction CSV does, written as a C programmer would, single-threaded, to measure how far
 * the Swift reader is from the limit on the same file in the same run.
 *
 * It does what `journey inspect` must do before it can profile: read the file in 1 MiB chunks
 * (read(2), as journey does), split rows on commas, find the columns by the header
 * (customer_id, date, amount, event), validate each field (a real calendar date YYYY-MM-DD, a decimal amount, a
 * known event; the first bad row stops the run with its line and column), intern customer ids
 * (open addressing, FNV-1a, short ids inline in their slot, lookups prefetched 64 at a time), sort rows by customer with a counting sort (file order within a
 * customer; out-of-order days fixed by an insertion sort per customer), merge same-day purchases,
 * and tally per month: purchase occasions, revenue, refunds, active and new customers. It prints
 * the totals so that they can be compared with journey's profile.
 *
 * It does not handle quoting, other delimiters, date formats or decimal commas (journey does):
 * the benchmark file has none, and the reference is the fast path a specialist would write for it.
 *
 * build: cc -O2 -o reader reader.c        run: ./reader FILE.csv
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { PURCHASE = 0, LEAD = 1, REFUND = 2 };

typedef struct { int32_t *customer, *day; double *amount; uint8_t *event; size_t count, capacity; } Rows;
/* Open addressing with the key inline in its 32-byte slot (ids up to 19 bytes; longer ones
 * are kept in an arena and the slot holds their hash only), so that a lookup touches one cache line. */
typedef struct { uint64_t hash; int32_t id; uint8_t length; char key[19]; } Slot;
typedef struct { Slot *slots; char **longIds; size_t count, mask; } Interner;

static void die(const char *path, long line, int column, const char *what) {
  fprintf(stderr, "%s:%ld:%d: %s\n", path, line, column, what);
  exit(65);
}

static void *grow(void *p, size_t bytes) {
  void *q = realloc(p, bytes);
  if (!q) { perror("realloc"); exit(70); }
  return q;
}

static void push(Rows *r, int32_t c, int32_t d, double a, uint8_t e) {
  if (r->count == r->capacity) {
    r->capacity = r->capacity ? r->capacity * 2 : 1 << 20;
    r->customer = grow(r->customer, r->capacity * 4);
    r->day = grow(r->day, r->capacity * 4);
    r->amount = grow(r->amount, r->capacity * 8);
    r->event = grow(r->event, r->capacity);
  }
  r->customer[r->count] = c; r->day[r->count] = d; r->amount[r->count] = a; r->event[r->count] = e;
  r->count++;
}

/* The slot table in its own mapping with huge pages where the kernel allows: a random probe into
 * a table of 100 MB then misses the cache but not also the TLB. */
static Slot *allocateSlots(size_t count) {
  size_t bytes = count * sizeof(Slot);
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(70); }
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

static uint64_t hashKey(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) { h ^= (uint8_t)s[i]; h *= 1099511628211ULL; }
  h ^= h >> 32; h *= 0xd6e8feb86659fd93ULL; h ^= h >> 32;  /* FNV's low bits cluster on ids that differ at the end */
  return h;
}

/* Room for `more` new ids without passing half full: rehash into twice the slots. */
static void reserve(Interner *t, size_t more) {
  while (2 * (t->count + more) > t->mask + 1) {
    size_t size = (t->mask + 1) * 2;
    Slot *slots = allocateSlots(size);
    for (size_t i = 0; i < size; i++) slots[i].id = -1;
    for (size_t i = 0; i <= t->mask; i++) if (t->slots[i].id >= 0) {
      size_t j = t->slots[i].hash & (size - 1);
      while (slots[j].id >= 0) j = (j + 1) & (size - 1);
      slots[j] = t->slots[i];
    }
    munmap(t->slots, (t->mask + 1) * sizeof(Slot)); t->slots = slots; t->mask = size - 1;
  }
}

static int32_t intern(Interner *t, const char *s, size_t n, uint64_t h) {
  size_t j = h & t->mask;
  for (; t->slots[j].id >= 0; j = (j + 1) & t->mask) {
    Slot *slot = &t->slots[j];
    if (slot->hash != h || slot->length != (n < 255 ? n : 255)) continue;
    const char *key = n <= sizeof slot->key ? slot->key : t->longIds[slot->id];
    if (memcmp(key, s, n) == 0) return slot->id;
  }
  Slot *slot = &t->slots[j];
  slot->hash = h; slot->id = (int32_t)t->count; slot->length = (uint8_t)(n < 255 ? n : 255);
  if ((t->count & (t->count - 1)) == 0) t->longIds = grow(t->longIds, (t->count ? t->count * 2 : 1) * sizeof(char *));
  t->longIds[t->count] = NULL;
  if (n <= sizeof slot->key) memcpy(slot->key, s, n);
  else { char *copy = malloc(n); memcpy(copy, s, n); t->longIds[t->count] = copy; }
  return (int32_t)t->count++;
}

/* Rows wait in a batch of 64 whose slots are prefetched together, so that the table's cache
 * misses (it is far bigger than the caches) overlap instead of following one another. */
enum { BATCH = 64 };
typedef struct { const char *id; size_t length; uint64_t hash; int32_t day; double amount; uint8_t event; } Pending;

static void flush(Interner *t, Rows *rows, Pending *batch, int *count) {
  for (int k = 0; k < *count; k++)
    push(rows, intern(t, batch[k].id, batch[k].length, batch[k].hash), batch[k].day, batch[k].amount, batch[k].event);
  *count = 0;
}

/* Days since 1970-01-01 of a valid YYYY-MM-DD, or INT32_MIN. */
static int32_t parseDay(const char *s, size_t n) {
  if (n != 10 || s[4] != '-' || s[7] != '-') return INT32_MIN;
  int v[8], k = 0;
  for (size_t i = 0; i < 10; i++) { if (i == 4 || i == 7) continue; if (s[i] < '0' || s[i] > '9') return INT32_MIN; v[k++] = s[i] - '0'; }
  int y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], m = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
  static const int length[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m < 1 || m > 12 || d < 1 || d > length[m - 1] + (m == 2 && leap)) return INT32_MIN;
  /* Howard Hinnant's days_from_civil. */
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* A decimal amount: optional sign, digits, optional fraction. Exact for up to 15 significant digits. */
static int parseAmount(const char *s, size_t n, double *out) {
  static const double scale[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  size_t i = 0; int negative = 0;
  if (i < n && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
  uint64_t mantissa = 0; int digits = 0, fraction = -1;
  for (; i < n; i++) {
    if (s[i] == '.' && fraction < 0) { fraction = 0; continue; }
    if (s[i] < '0' || s[i] > '9' || digits >= 15) return 0;
    mantissa = mantissa * 10 + (uint64_t)(s[i] - '0'); digits++;
    if (fraction >= 0) fraction++;
  }
  if (digits == 0) return 0;
  double value = (double)mantissa / scale[fraction > 0 ? fraction : 0];
  *out = negative ? -value : value;
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: reader FILE.csv\n"); return 64; }
  const char *path = argv[1];
  int fd = open(path, O_RDONLY);
  if (fd < 0) { perror(path); return 66; }
  enum { CHUNK = 1 << 20 };
  char *buffer = malloc(2 * CHUNK);
  size_t filled = 0; long line = 0; int column[4] = {-1, -1, -1, -1}, columns = 0, header = 1, atEOF = 0;
  Rows rows = {0};
  Interner ids = {0};
  Pending pending[BATCH]; int pendingCount = 0;
  ids.mask = (1 << 16) - 1; ids.slots = allocateSlots(ids.mask + 1);
  for (size_t i = 0; i <= ids.mask; i++) ids.slots[i].id = -1;
  while (!atEOF || filled > 0) {
    if (!atEOF) { ssize_t n = read(fd, buffer + filled, CHUNK); if (n < 0) { perror(path); return 74; } if (n == 0) atEOF = 1; filled += (size_t)n; }
    char *start = buffer, *end = buffer + filled;
    for (;;) {
      char *newline = memchr(start, '\n', (size_t)(end - start));
      if (!newline) { if (!atEOF || start == end) break; newline = end; }
      line++;
      char *field[8]; size_t length[8]; int count = 0; char *p = start;
      while (count < 8) {
        char *comma = memchr(p, ',', (size_t)(newline - p));
        char *stop = comma ? comma : newline;
        field[count] = p; length[count] = (size_t)(stop - p);
        if (length[count] > 0 && p[length[count] - 1] == '\r') length[count]--;
        count++;
        if (!comma) break;
        p = comma + 1;
      }
      if (header) {
        const char *names[4] = {"customer_id", "date", "amount", "event"};
        for (int f = 0; f < count; f++) for (int k = 0; k < 4; k++)
          if (length[f] == strlen(names[k]) && memcmp(field[f], names[k], length[f]) == 0) column[k] = f;
        if (column[0] < 0 || column[1] < 0 || column[2] < 0) die(path, line, 1, "the header needs customer_id, date and amount");
        columns = count; header = 0;
      } else if (newline > start) {
        if (count != columns) die(path, line, 1, "wrong number of fields");
        const char *c = field[column[0]]; size_t cn = length[column[0]];
        if (cn == 0) die(path, line, column[0] + 1, "empty customer id");
        int32_t day = parseDay(field[column[1]], length[column[1]]);
        if (day == INT32_MIN) die(path, line, column[1] + 1, "not a date YYYY-MM-DD");
        double amount;
        if (!parseAmount(field[column[2]], length[column[2]], &amount)) die(path, line, column[2] + 1, "not an amount");
        uint8_t event = PURCHASE;
        if (column[3] >= 0) {
          const char *e = field[column[3]]; size_t en = length[column[3]];
          if (en == 8 && memcmp(e, "purchase", 8) == 0) event = PURCHASE;
          else if (en == 4 && memcmp(e, "lead", 4) == 0) event = LEAD;
          else if (en == 6 && memcmp(e, "refund", 6) == 0) event = REFUND;
          else if (en != 0) die(path, line, column[3] + 1, "not an event (purchase, lead, refund)");
        }
        if (event == PURCHASE && amount < 0) die(path, line, column[2] + 1, "a negative purchase");
        if (pendingCount == 0) reserve(&ids, BATCH);
        uint64_t h = hashKey(c, cn);
        __builtin_prefetch(&ids.slots[h & ids.mask]);
        pending[pendingCount++] = (Pending){c, cn, h, day, amount, event};
        if (pendingCount == BATCH) flush(&ids, &rows, pending, &pendingCount);
      }
      if (newline == end) { start = end; break; }
      start = newline + 1;
    }
    flush(&ids, &rows, pending, &pendingCount);  /* the batch points into the buffer, which moves next */
    filled = (size_t)(end - start);
    memmove(buffer, start, filled);
    if (atEOF && filled == 0) break;
  }
  close(fd);

  /* Counting sort by customer, file order kept within a customer. */
  size_t n = rows.count, customers = ids.count;
  size_t *rowStart = calloc(customers + 1, sizeof(size_t));
  for (size_t r = 0; r < n; r++) rowStart[rows.customer[r] + 1]++;
  for (size_t c = 0; c < customers; c++) rowStart[c + 1] += rowStart[c];
  size_t *next = malloc(customers * sizeof(size_t));
  memcpy(next, rowStart, customers * sizeof(size_t));
  int32_t *day = malloc(n * 4); double *amount = malloc(n * 8); uint8_t *event = malloc(n);
  for (size_t r = 0; r < n; r++) {
    size_t to = next[rows.customer[r]]++;
    day[to] = rows.day[r]; amount[to] = rows.amount[r]; event[to] = rows.event[r];
  }
  free(next); free(rows.customer); free(rows.day); free(rows.amount); free(rows.event);

  /* Per customer: days in order (insertion sort, stable), same-day purchases merged, months tallied. */
  int32_t firstDay = INT32_MAX, lastDay = INT32_MIN;
  for (size_t r = 0; r < n; r++) { if (day[r] < firstDay) firstDay = day[r]; if (day[r] > lastDay) lastDay = day[r]; }
  enum { MONTHS = 12 * 400 };
  static long occasions[MONTHS], active[MONTHS], fresh[MONTHS]; static double revenue[MONTHS], refunds[MONTHS];
  long merged = 0, buyers = 0, totalOccasions = 0, refundRows = 0, leads = 0;
  double totalRevenue = 0;
  for (size_t c = 0; c < customers; c++) {
    size_t lo = rowStart[c], hi = rowStart[c + 1];
    for (size_t i = lo + 1; i < hi; i++) {
      if (day[i] >= day[i - 1]) continue;
      int32_t d = day[i]; double a = amount[i]; uint8_t e = event[i]; size_t j = i;
      while (j > lo && day[j - 1] > d) { day[j] = day[j - 1]; amount[j] = amount[j - 1]; event[j] = event[j - 1]; j--; }
      day[j] = d; amount[j] = a; event[j] = e;
    }
    int32_t lastPurchase = INT32_MIN, lastActiveMonth = -1; size_t lastPurchaseRow = 0; int bought = 0;
    for (size_t r = lo; r < hi; r++) {
      /* month index from the civil date */
      int32_t z = day[r] + 719468, era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
      int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
      int32_t mp = (5 * doy + 2) / 153, m = mp + (mp < 10 ? 3 : -9), y = yoe + era * 400 + (m <= 2);
      int32_t month = (y - 1900) * 12 + (m - 1);
      if (month < 0 || month >= MONTHS) die(path, 0, 0, "a date outside 1900-2299");
      if (event[r] == LEAD) { leads++; continue; }
      if (event[r] == REFUND) { refundRows++; refunds[month] -= amount[r]; continue; }
      if (day[r] == lastPurchase) { amount[lastPurchaseRow] += amount[r]; merged++; revenue[month] += amount[r]; totalRevenue += amount[r]; continue; }
      lastPurchase = day[r]; lastPurchaseRow = r;
      occasions[month]++; totalOccasions++; revenue[month] += amount[r]; totalRevenue += amount[r];
      if (month != lastActiveMonth) { active[month]++; lastActiveMonth = month; }
      if (!bought) { fresh[month]++; bought = 1; buyers++; }
    }
  }
  long periods = 0;
  for (int m = 0; m < MONTHS; m++) if (occasions[m] || refunds[m] != 0) periods++;
  printf("rows %zu, customers %zu, buyers %ld, leads %ld, purchase occasions %ld (merged %ld), refund rows %ld, "
         "revenue %.2f, days %d to %d, months with activity %ld\n",
         n, customers, buyers, leads, totalOccasions, merged, refundRows, totalRevenue, firstDay, lastDay, periods);
  return 0;
}
