// Five short Korean documents (welfare, housing, finance) with an `area` meta field: the engine and server tests' corpus.
export const WELFARE_DOCS = [
  {
    id: 'pension',
    title: '기초연금',
    text: '만 65세 이상 어르신에게 매달 기초연금을 지급합니다. 주민센터에서 신청합니다.',
    meta: { area: 'welfare' },
  },
  {
    id: 'rent',
    title: '청년 월세 지원',
    text: '혼자 사는 청년에게 월세를 최대 12개월 지원합니다.',
    meta: { area: 'housing' },
  },
  {
    id: 'deposit',
    title: '예금자 보호',
    text: '은행이 파산해도 예금은 1인당 5천만 원까지 보호됩니다.',
    meta: { area: 'finance' },
  },
  {
    id: 'loan',
    title: '전세 대출',
    text: '전세 자금 대출 금리를 낮추려면 정부 지원 상품을 비교하세요.',
    meta: { area: 'finance' },
  },
  {
    id: 'baby',
    title: '출산 지원금',
    text: '아기를 낳으면 첫만남이용권과 부모급여를 받을 수 있습니다.',
    meta: { area: 'welfare' },
  },
];
