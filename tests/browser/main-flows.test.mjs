// Main flows of the pages in real headless Chromium against a real `parta serve --demo`.
// Run by scripts/test (node --test); TEST_PARTA_BIN names the binary to test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const PASSWORD = 'Parta-demo-2026';
const bin = process.env.TEST_PARTA_BIN || new URL('../../target/debug/parta', import.meta.url).pathname;
let server, browser, base, dataDir;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parta-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // On PostgreSQL when scripts/test names a fresh database; SQLite in the data directory otherwise.
  const db = process.env.TEST_BROWSER_DATABASE_URL ? ['--database-url', process.env.TEST_BROWSER_DATABASE_URL] : [];
  server = spawn(bin, ['serve', '--demo', '--data-dir', dataDir, '--port', String(port), '--bind', '127.0.0.1', ...db], { stdio: process.env.TEST_SERVER_OUTPUT ? 'inherit' : 'ignore' });
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${base}/readyz`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

async function signIn(page, login) {
  await page.goto(`${base}/login`);
  await page.fill('#login', login);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
}

test('a parent signs in and opens a child card', async () => {
  const page = await browser.newPage();
  await signIn(page, 'parent');
  assert.match(await page.textContent('main'), /Мои дети/);
  await page.click('main .grid a');
  await page.waitForURL(/\/persons\//);
  const text = await page.textContent('main');
  assert.match(text, /История обучения/);
  assert.match(text, /\d+[А-Я]/);
  await page.screenshot({ path: join(tmpdir(), 'parta-parent-child.png') });
  await page.close();
});

test('a wrong password is explained in Russian', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#login', 'parent');
  await page.fill('#password', 'not-the-password');
  await page.click('button[type=submit]');
  assert.match(await page.textContent('.errors'), /Неверный логин или пароль/);
  await page.close();
});

test('the pages work without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, 'teacher');
  await page.click('text=Мои данные');
  await page.fill('#phone', '+7 912 000-11-22');
  await page.click('form[action="/my-data/contacts"] button');
  await page.waitForURL(/n=saved/);
  assert.match(await page.textContent('.notice'), /Сохранено/);
  assert.equal(await page.inputValue('#phone'), '+79120001122');
  await context.close();
});

test('the version for the visually impaired and English are one click away', async () => {
  const page = await browser.newPage();
  await signIn(page, 'student');
  const normal = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  await page.click('text=Версия для слабовидящих');
  assert.equal(await page.getAttribute('body', 'class'), 'a11y scheme-bw');
  const large = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  assert.ok(large >= normal * 1.3, `large type: ${normal} → ${large}`);
  // The largest step and white on black, from the panel.
  await page.click('.a11y-panel a.size-3');
  await page.click('.a11y-panel a.sw-wb');
  const largest = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  assert.ok(largest >= large * 1.4, `the largest step: ${large} → ${largest}`);
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(0, 0, 0)');
  await page.screenshot({ path: join(tmpdir(), 'parta-a11y-white-on-black.png') });
  await page.click('text=English');
  assert.match(await page.textContent('header'), /Sign out/);
  await page.close();
});

test('a phone shows the class page without sideways scrolling', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true });
  const page = await context.newPage();
  await signIn(page, 'teacher');
  await page.click('main .grid a');
  await page.waitForURL(/\/classes\//);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
  await page.screenshot({ path: join(tmpdir(), 'parta-phone-class.png'), fullPage: false });
  await context.close();
});

test('a director checks a roster file in the import wizard', async () => {
  const page = await browser.newPage();
  await signIn(page, 'director');
  await page.click('text=Управление школой');
  await page.click('text=Импорт списков');
  const file = join(dataDir, 'spisok.csv');
  writeFileSync(file, 'Фамилия;Имя;Отчество;Дата рождения;Пол;СНИЛС;Класс;Дата зачисления\r\nСоколова;Вера;;2016-05-05;ж;;4А;\r\n');
  await page.setInputFiles('#file', file);
  await page.click('main form button[type=submit]');
  await page.waitForLoadState();
  assert.match(await page.textContent('body'), /Проверка пройдена/);
  await page.close();
});

test('a teacher types a mark into the journal and the parent sees it at once', async () => {
  // The demo student of 5А (the demo parent's child): name and id from their diary.
  const pupil = await browser.newPage();
  await signIn(pupil, 'student');
  await pupil.goto(`${base}/diary`);
  const child = (await pupil.textContent('h1')).split(': ')[1].split(',')[0].trim();
  const childId = new URL(await pupil.getAttribute('main p a >> nth=0', 'href'), base).searchParams.get('student');
  await pupil.close();
  const parent = await browser.newPage();
  await signIn(parent, 'parent');

  const page = await browser.newPage();
  await signIn(page, 'teacher');
  await page.click('nav >> text=Журнал');
  await page.click('main .grid a:has-text("5А · Русский язык")');
  await page.waitForURL(/\/journal\//);
  const row = page.locator(`#journal tbody tr:has(th:text-is("${child}"))`);
  const cells = row.locator('input.m');
  const cell = cells.nth((await cells.count()) - 1);
  const label = await cell.getAttribute('aria-label');
  await cell.click();
  await page.keyboard.press('5');
  await row.locator('input.m.ok').first().waitFor();
  assert.equal(await cell.inputValue(), '5');
  // Arrow keys move between cells.
  await page.keyboard.press('ArrowLeft');
  assert.notEqual(await page.evaluate(() => document.activeElement.name), await cell.getAttribute('name'));
  await page.close();

  // The date of the cell → the diary week that holds it.
  const [d, m] = label.split(', ').pop().split('.').map(Number);
  const now = new Date();
  const year = m > now.getMonth() + 1 ? now.getFullYear() - 1 : now.getFullYear();
  const iso = `${year}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  await parent.goto(`${base}/diary?student=${childId}&week=${iso}`);
  const day = parent.locator(`section.day:has(h2:has-text("${String(d).padStart(2, '0')}.${String(m).padStart(2, '0')}"))`);
  const marks = await day.locator('.lesson:has-text("Русский язык") .mark').allTextContents();
  assert.ok(marks.includes('5'), `marks that day: ${marks}`);
  // …and is told.
  let told = false;
  for (let i = 0; i < 50 && !told; i++) {
    await parent.goto(`${base}/notifications`);
    told = /Новая отметка: 5 по предмету «Русский язык»|Отметка изменена: 5 по предмету «Русский язык»/.test(await parent.textContent('main'));
    if (!told) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(told, 'the parent got a notification');
  await parent.screenshot({ path: join(tmpdir(), 'parta-parent-notifications.png') });
  await parent.close();
});

test('on a phone, the journal takes a mark and an attendance letter from its keypad', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await signIn(page, 'teacher');
  await page.goto(`${base}/journal`);
  await page.click('main .grid a:has-text("5А · Литература")');
  await page.waitForURL(/\/journal\//);
  const cells = page.locator('#journal tbody tr:nth-child(2) input.m');
  const cell = cells.nth((await cells.count()) - 1);
  await cell.fill('');
  await cell.tap();
  const pad = page.locator('.pad');
  await pad.waitFor();
  assert.equal(await cell.getAttribute('inputmode'), 'none', 'the phone keyboard stays away');
  await cell.tap();
  await pad.locator('button', { hasText: /^4$/ }).tap();
  await page.locator('#journal tbody tr:nth-child(2) input.m.ok').first().waitFor();
  assert.equal(await cell.inputValue(), '4');
  // The focus went to the next student; back to the cell, a letter joins the mark.
  await cell.tap();
  await pad.locator('button', { hasText: /^о$/ }).tap();
  await page.waitForFunction((name) => document.querySelector(`input[name="${name}"]`).value === '4 о', await cell.getAttribute('name'));
  await page.screenshot({ path: join(tmpdir(), 'parta-journal-keypad.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a student reads the week in the diary on a phone', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true });
  const page = await context.newPage();
  await signIn(page, 'student');
  await page.click('nav >> text=Дневник');
  await page.waitForURL(/\/diary/);
  assert.ok(await page.locator('section.day').count() >= 5);
  assert.match(await page.textContent('main'), /Понедельник/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
  await page.screenshot({ path: join(tmpdir(), 'parta-phone-diary.png'), fullPage: true });
  await context.close();
});

test('after signing out, Back does not show the personal page again', async () => {
  const page = await browser.newPage();
  await signIn(page, 'parent');
  await page.click('main .grid a');
  await page.waitForURL(/\/persons\//);
  assert.match(await page.textContent('main'), /История обучения/);
  await page.click('text=Выйти');
  await page.waitForURL(/\/login|\/$/);
  await page.goBack();
  await page.waitForLoadState();
  const text = await page.textContent('body');
  assert.doesNotMatch(text, /История обучения/, 'the card came back from the cache');
  assert.match(page.url(), /\/login/);
  await page.close();
});

test('on a phone, a director adds a pupil and a parent and prints the letter; the parent signs in and sets a password', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await context.newPage();
  const errors = [];
  // (The 422 of the form with a mistake is the answer it should be, not an error.)
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 422/.test(m.text())) errors.push(m.text()); });
  await signIn(page, 'director');
  await page.click('main >> text=Люди школы');
  await page.click('text=Добавить обучающегося');
  // A mistake first: the form comes back with what was typed and the error at its field.
  await page.fill('#last_name', 'Голубева');
  await page.fill('#first_name', 'Ева');
  await page.fill('#birth_date', '31.02.2016');
  await page.selectOption('#class_id', { label: '4А' });
  await page.click('main form button[type=submit]');
  assert.match(await page.textContent('#birth_date-error'), /Дата рождения/);
  assert.equal(await page.inputValue('#first_name'), 'Ева');
  await page.fill('#birth_date', '14.02.2016');
  await page.click('main form button[type=submit]');
  await page.waitForURL(/\/persons\/.+\/manage/);
  assert.match(await page.textContent('.notice'), /Добавлено/);
  // Her mother, from her record.
  await page.click('text=Добавить нового родителя');
  await page.fill('#last_name', 'Голубева');
  await page.fill('#first_name', 'Ольга');
  await page.fill('#middle_name', 'Сергеевна');
  await page.click('main form button[type=submit]');
  await page.waitForURL(/\/persons\/.+\/manage/);
  await page.click('text=Напечатать письмо со входом');
  await page.waitForSelector('.letter');
  const [login, password] = await page.locator('.letter .secret').allTextContents();
  assert.equal(login, 'golubeva.o');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the letter is ${overflow}px wider than the phone`);
  await page.screenshot({ path: join(tmpdir(), 'parta-phone-letter.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();

  // The mother signs in with the letter: first a password of her own.
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const mother = await phone.newPage();
  await mother.goto(`${base}/login`);
  await mother.fill('#login', login);
  await mother.fill('#password', password);
  await mother.click('button[type=submit]');
  await mother.waitForURL(/\/password\?first=1/);
  assert.match(await mother.textContent('h1'), /Придумайте свой пароль/);
  await mother.fill('#old', password);
  await mother.fill('#new', 'синий трамвай по вторникам');
  await mother.click('main form button[type=submit]');
  await mother.waitForURL(`${base}/?n=password`);
  assert.match(await mother.textContent('.notice'), /Пароль сохранён/);
  assert.match(await mother.textContent('main'), /Голубева Ева/);
  await mother.screenshot({ path: join(tmpdir(), 'parta-phone-first-sign-in.png'), fullPage: true });
  await phone.close();
});

test('a teacher asks for a hand-in, the student hands in, the teacher returns it and then accepts it with a mark', async () => {
  // The student's latest lesson with homework that has already been given.
  const student = await browser.newPage();
  await signIn(student, 'student');
  const teacherPage = await browser.newPage();
  await signIn(teacherPage, 'teacher');
  await teacherPage.click('nav >> text=Журнал');
  await teacherPage.click('main .grid a:has-text("5А · Русский язык")');
  await teacherPage.waitForURL(/\/journal\//);
  // The latest lesson column of the journal that is already given: its lesson page.
  const lessons = await teacherPage.locator('#journal thead a[href^="/lessons/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(lessons.length > 0, 'the journal links its lessons');
  // From the last column back, the first lesson already given (its date is not after today).
  const today = new Date().toISOString().slice(0, 10);
  let lesson, day;
  for (const href of lessons.reverse()) {
    await teacherPage.goto(`${base}${href}`);
    const [d, m, y] = (await teacherPage.textContent('main p')).match(/(\d{2})\.(\d{2})\.(\d{4})/).slice(1, 4);
    if (`${y}-${m}-${d}` <= today && !(await teacherPage.textContent('h1')).includes('отменён')) { lesson = href; day = `${y}-${m}-${d}`; break; }
  }
  assert.ok(lesson, 'a lesson already given');
  await teacherPage.fill('#hw', 'Упражнение 112: выписать сложные предложения');
  await teacherPage.check('input[name=handin]');
  await teacherPage.click('main form.card button[type=submit]');
  await teacherPage.waitForURL(/n=saved/);
  // The student sees where to hand in and sends a file.
  const id = lesson.split('/').pop();
  await student.goto(`${base}/diary?week=${day}`);
  const row = student.locator(`form[action="/diary/attachments/${id}"]`);
  const file = join(dataDir, 'otvet.txt');
  writeFileSync(file, 'Сложные предложения: 1) Когда наступила весна, прилетели грачи.');
  await row.locator('input[type=file]').setInputFiles(file);
  await row.locator('button').click();
  await student.waitForLoadState();
  // The teacher returns it with a comment, then accepts it with a 5.
  await teacherPage.goto(`${base}${lesson}#handins`);
  const card = teacherPage.locator('.handin').first();
  assert.match(await card.textContent(), /Сдано, ждёт проверки/);
  assert.match(await card.textContent(), /otvet\.txt/);
  await card.locator('input[name=comment]').fill('Добавьте ещё два предложения');
  await card.locator('button[value=return]').click();
  await teacherPage.waitForURL(/n=saved/);
  assert.match(await teacherPage.locator('.handin').first().textContent(), /Возвращено на доработку/);
  await student.goto(`${base}/diary?week=${day}`);
  assert.match(await student.textContent('main'), /Возвращено на доработку: Добавьте ещё два предложения/);
  const again = teacherPage.locator('.handin').first();
  await again.locator('select[name=mark]').selectOption('5');
  await again.locator('button[value=accept]').click();
  await teacherPage.waitForURL(/n=saved/);
  assert.match(await teacherPage.locator('.handin').first().textContent(), /Принято/);
  await teacherPage.screenshot({ path: join(tmpdir(), 'parta-handin-review.png'), fullPage: true });
  await student.goto(`${base}/diary?week=${day}`);
  assert.match(await student.textContent('main'), /Принято/);
  await student.close();
  await teacherPage.close();
});

test('on a phone, a municipal operator opens a school from the start page', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await context.newPage();
  await signIn(page, 'municipality');
  assert.match(await page.textContent('main'), /Журналы заполнены/);
  await page.click('main table a >> nth=0');
  await page.waitForURL(/\/schools\//);
  assert.match(await page.textContent('h1'), /МБОУ/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await context.close();
});

test('a teacher writes in the class parents\' chat and the parent, on a phone, sees it at once', async () => {
  const tctx = await browser.newContext();
  const pctx = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const teacher = await tctx.newPage();
  const parent = await pctx.newPage();
  await signIn(teacher, 'teacher');
  await signIn(parent, 'parent');
  await teacher.goto(`${base}/chats`);
  await teacher.click('text=5А — родители');
  await teacher.waitForURL(/\/chats\//);
  const chatUrl = teacher.url();
  // The parent finds the chat from the menu.
  await parent.click('nav >> text=Чаты');
  await parent.waitForURL(`${base}/chats`);
  await parent.click('text=5А — родители');
  await parent.waitForURL(chatUrl);
  const text = 'Родительское собрание в четверг в 18:00, кабинет 12';
  await teacher.fill('#text', text);
  await teacher.click('#send button[type=submit]');
  // Live: no reload on the parent's side.
  await parent.waitForSelector(`#messages li:has-text("${text}")`, { timeout: 10000 });
  assert.equal(await teacher.inputValue('#text'), '');
  await parent.screenshot({ path: join(tmpdir(), 'parta-chat-parent-phone.png'), fullPage: true });
  const width = await parent.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `no sideways scrolling: ${width}`);
  // The parent answers through the same form; the teacher sees the answer.
  await parent.fill('#text', 'Спасибо, будем!');
  await parent.click('#send button[type=submit]');
  await teacher.waitForSelector('#messages li:has-text("Спасибо, будем!")', { timeout: 10000 });
  await teacher.screenshot({ path: join(tmpdir(), 'parta-chat-teacher.png'), fullPage: true });
  await tctx.close();
  await pctx.close();
});

test('an urgent announcement reaches the parent live and the teacher sees it confirmed', async () => {
  const tctx = await browser.newContext();
  const pctx = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const teacher = await tctx.newPage();
  const parent = await pctx.newPage();
  await signIn(teacher, 'teacher');
  await signIn(parent, 'parent');
  await teacher.goto(`${base}/chats`);
  await teacher.click('text=5А — родители');
  await teacher.waitForURL(/\/chats\//);
  await parent.goto(teacher.url());
  const text = 'Завтра уроки до 12:00: в школе отключат воду';
  await teacher.fill('#text', text);
  await teacher.check('#urgent');
  await teacher.click('#send button[type=submit]');
  await teacher.waitForSelector(`#messages li.urgent:has-text("${text}") >> text=Подтвердили: 0`);
  // The parent's page gets it live, marked and with the button to confirm.
  const item = parent.locator(`#messages li.urgent:has-text("${text}")`);
  await item.waitFor({ timeout: 10000 });
  assert.match(await item.textContent(), /Важное/);
  await parent.screenshot({ path: join(tmpdir(), 'parta-chat-urgent-parent-phone.png'), fullPage: true });
  await item.locator('button', { hasText: 'Прочитал(а), подтверждаю' }).click();
  await parent.waitForSelector(`#messages li.urgent:has-text("${text}") >> text=Вы подтвердили прочтение`);
  const width = await parent.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `no sideways scrolling: ${width}`);
  // The teacher sees who confirmed and who has not.
  await teacher.reload();
  const mine = teacher.locator(`#messages li.urgent:has-text("${text}")`);
  assert.match(await mine.textContent(), /Подтвердили: 1/);
  await mine.locator('text=кто ещё не подтвердил').click();
  await teacher.waitForURL(/\/acks\//);
  assert.match(await teacher.textContent('main'), /Подтвердили \(1\)/);
  await teacher.screenshot({ path: join(tmpdir(), 'parta-chat-acks-teacher.png'), fullPage: true });
  await tctx.close();
  await pctx.close();
});

test('a teacher asks the parents a poll and sends a photo; votes, likes and the photo show live', async () => {
  const tctx = await browser.newContext();
  const pctx = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const teacher = await tctx.newPage();
  const parent = await pctx.newPage();
  await signIn(teacher, 'teacher');
  await signIn(parent, 'parent');
  await teacher.goto(`${base}/chats`);
  await teacher.click('text=5А — родители');
  await teacher.waitForURL(/\/chats\//);
  await parent.goto(teacher.url());
  const question = 'Когда удобнее собраться: во вторник или в среду?';
  await teacher.fill('#text', question);
  await teacher.click('details.poll-new summary');
  await teacher.fill('#options', 'Во вторник\nВ среду');
  await teacher.click('#send button[type=submit]');
  const poll = teacher.locator(`#messages li:has-text("${question}")`);
  await poll.waitFor();
  // The parent's page gets the poll live, with its options to choose from.
  const theirs = parent.locator(`#messages li:has-text("${question}")`);
  await theirs.locator('input[type=radio]').nth(1).waitFor({ timeout: 10000 });
  await theirs.locator('input[type=radio]').nth(1).check();
  await theirs.locator('button', { hasText: 'Ответить' }).click();
  await parent.waitForLoadState('load');
  // The teacher's page counts it without a reload.
  await teacher.waitForSelector(`#messages li:has-text("${question}") >> text=1 · 100 %`, { timeout: 10000 });
  // A like from the parent's page shows on the teacher's.
  const mine = parent.locator(`#messages li:has-text("${question}")`);
  await mine.locator('details.actions summary').click();
  await mine.locator('button[value="like:on"]').click();
  await parent.waitForLoadState('load');
  await teacher.waitForSelector(`#messages li:has-text("${question}") .reactions button:has-text("1")`, { timeout: 10000 });
  const width = await parent.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `no sideways scrolling: ${width}`);
  await teacher.screenshot({ path: join(tmpdir(), 'parta-chat-poll-teacher.png'), fullPage: true });
  // A photo from the teacher's page reaches the parent's page live, its preview shown.
  await parent.goto(teacher.url().split(/[?#]/)[0]);
  const shot = await teacher.screenshot();
  await teacher.click('details.file-new summary');
  await teacher.setInputFiles('#file', { name: 'доска.png', mimeType: 'image/png', buffer: shot });
  await teacher.fill('#caption', 'Фото доски с заданием');
  await teacher.click('details.file-new button[type=submit]');
  await parent.waitForSelector('#messages li:has-text("Фото доски с заданием") img', { timeout: 10000 });
  await parent.waitForFunction(() => [...document.querySelectorAll('#messages li img')]
    .some((i) => i.complete && i.naturalWidth > 0));
  await parent.screenshot({ path: join(tmpdir(), 'parta-chat-photo-parent-phone.png'), fullPage: true });
  // A message that came live has its actions too: the parent thanks for it.
  const photo = parent.locator('#messages li:has-text("Фото доски с заданием")');
  await photo.locator('details.actions summary').click();
  await photo.locator('button[value="thanks:on"]').click();
  await parent.waitForSelector('#messages li:has-text("Фото доски с заданием") .reactions button.mine');
  await tctx.close();
  await pctx.close();
});

test('the director posts the school news; a parent on a phone sees it live and comments', async () => {
  const dctx = await browser.newContext();
  const pctx = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const director = await dctx.newPage();
  const parent = await pctx.newPage();
  await signIn(director, 'director');
  await signIn(parent, 'parent');
  await director.goto(`${base}/chats`);
  await director.click('a:has-text("Новости школы")');
  await director.waitForURL(/\/chats\//);
  const newsUrl = director.url();
  // The parent finds the news among the channels.
  await parent.goto(`${base}/chats`);
  await parent.click('a:has-text("Каналы")');
  await parent.waitForURL(`${base}/channels`);
  await parent.click('a:has-text("Новости школы")');
  await parent.waitForURL(newsUrl);
  const text = 'В пятницу — день открытых дверей, приглашаем родителей';
  await director.fill('#text', text);
  await director.click('#send button[type=submit]');
  const post = parent.locator(`#messages li:has-text("${text}")`);
  await post.waitFor({ timeout: 10000 });
  // Readers comment in the post's thread, not in the posts' feed.
  assert.equal(await parent.locator('#send').count(), 0);
  await post.locator('text=Комментарии: 0').click();
  await parent.waitForURL(/thread=/);
  await parent.fill('#text', 'Спасибо, придём!');
  await parent.click('#send button[type=submit]');
  await parent.waitForSelector('#messages li:has-text("Спасибо, придём!")', { timeout: 10000 });
  const width = await parent.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `no sideways scrolling: ${width}`);
  await parent.screenshot({ path: join(tmpdir(), 'parta-channel-parent-phone.png'), fullPage: true });
  // The director's feed counts the comment under the post, live.
  await director.waitForSelector(`#messages li:has-text("${text}") >> text=Комментарии: 1`, { timeout: 10000 });
  assert.equal(await director.locator('#messages li:has-text("Спасибо, придём!")').count(), 0);
  await director.screenshot({ path: join(tmpdir(), 'parta-channel-director.png'), fullPage: true });
  await dctx.close();
  await pctx.close();
});
